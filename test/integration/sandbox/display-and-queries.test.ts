import { startSandbox, type RunningSandbox } from './sandbox-harness';

let s: RunningSandbox;
beforeEach(async () => {
  s = await startSandbox();
});
afterEach(() => s.sandbox.close());

const setAdminZone = async (zone: string) => {
  const admin = (await s.snow.get('/api/now/table/sys_user', { params: { user_name: 'admin' } })).data.result[0];
  await s.snow.patch(`/api/now/table/sys_user/${admin.sys_id}`, { time_zone: zone });
};

describe("item 10: date-times in the session user's time zone", () => {
  // Table API, sysparm_display_value: "date-time: UTC raw; true → user TZ + user format"
  // (https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html)
  it('display_value=true and all render date-times in the user zone; raw stays UTC', async () => {
    await setAdminZone('Europe/Berlin');
    const { sys_id } = (
      await s.snow.post('/api/now/table/incident', { short_description: 'x', due_date: '2026-07-01 12:00:00' })
    ).data.result;
    const get = (display: string) =>
      s.snow.get(`/api/now/table/incident/${sys_id}`, {
        params: { sysparm_display_value: display, sysparm_fields: 'due_date' },
      });
    expect((await get('false')).data.result.due_date).toBe('2026-07-01 12:00:00');
    expect((await get('true')).data.result.due_date).toBe('2026-07-01 14:00:00');
    expect((await get('all')).data.result.due_date).toEqual({
      display_value: '2026-07-01 14:00:00',
      value: '2026-07-01 12:00:00',
    });
    const list = await s.snow.get('/api/now/table/incident', {
      params: { sysparm_display_value: 'true', sysparm_fields: 'due_date' },
    });
    expect(list.data.result).toEqual([{ due_date: '2026-07-01 14:00:00' }]);
    await setAdminZone('America/Los_Angeles');
    expect((await get('true')).data.result.due_date).toBe('2026-07-01 05:00:00');
  });
});

describe('item 11: JOIN and RLQUERY are refused, never dropped', () => {
  // Encoded queries (https://www.servicenow.com/docs/r/platform-user-interface/c_EncodedQueryStrings.html: ^RLQUERY…^ENDRLQUERY; JOIN): dropping them would
  // return more rows than an instance, so the sandbox refuses the query.
  it.each([
    'active=true^RLQUERYtask_sla.task,>=1^stage=breached^ENDRLQUERY',
    'active=true^JOINincident.caller_id=sys_user.sys_id!active=true',
  ])('%s → 400 naming the construct', async (query) => {
    await s.snow.post('/api/now/table/incident', { short_description: 'any' });
    const res = await s.snow.get('/api/now/table/incident', { params: { sysparm_query: query } });
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ status: 'failure', error: { message: 'Invalid query' } });
    expect(res.data.error.detail).toMatch(/JOIN|RLQUERY/);
  });

  it('an invalid term (unknown field) is still dropped as an instance drops it', async () => {
    await s.snow.post('/api/now/table/incident', { short_description: 'any' });
    const res = await s.snow.get('/api/now/table/incident', { params: { sysparm_query: 'u_nope=1^active=true' } });
    expect(res.status).toBe(200);
    expect(res.data.result).toHaveLength(1);
  });
});
