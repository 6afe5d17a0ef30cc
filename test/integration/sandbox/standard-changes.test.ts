import { startSandbox, type RunningSandbox } from './sandbox-harness';

// https://www.servicenow.com/docs/r/it-service-management/change-management/normal-standard-emergency-states.html (standard changes are pre-authorised: New → Scheduled → Implement →
// Review → Closed, no Assess or Authorize; std_change_producer_version names the template) and the
// Change Management API's standard change templates:
// https://www.servicenow.com/docs/r/api-reference/rest-apis/change-management-api.html
let s: RunningSandbox;
beforeEach(async () => {
  s = await startSandbox();
});
afterEach(() => s.sandbox.close());

const versionOf = async (name: string) =>
  (await s.snow.get('/api/now/table/std_change_producer_version', { params: { name } })).data.result[0];

describe('item 2: standard changes', () => {
  it('seeds templates, each with its record producer and a version a change can reference', async () => {
    const versions = (
      await s.snow.get('/api/now/table/std_change_producer_version', {
        params: { sysparm_fields: 'name,version,std_change_producer.template.table', sysparm_display_value: 'true' },
      })
    ).data.result;
    expect(versions.length).toBeGreaterThanOrEqual(3);
    expect(versions).toContainEqual({
      name: 'Restart a service on a Linux server - v1',
      version: '1',
      'std_change_producer.template.table': 'change_request',
    });
  });

  it('a standard change from a template gets its values and is approved, and clients can query changes of type standard', async () => {
    const version = await versionOf('Apply OS security patches to a Linux server - v1');
    const created = await s.snow.post('/api/now/table/change_request', {
      type: 'standard',
      std_change_producer_version: version.sys_id,
      short_description: 'Patch web-01',
    });
    expect(created.status).toBe(201);
    const change = created.data.result;
    expect(change).toMatchObject({
      type: 'standard',
      state: '-5',
      approval: 'approved',
      short_description: 'Patch web-01',
      category: 'System Software',
      risk: '4',
    });
    expect(change.std_change_producer_version.value).toBe(version.sys_id);
    expect(change.backout_plan).toContain('Roll back patches');
    const standard = await s.snow.get('/api/now/table/change_request', {
      params: {
        sysparm_query:
          'type=standard^std_change_producer_version.name=Apply OS security patches to a Linux server - v1',
      },
    });
    expect(standard.data.result.map((c: { sys_id: string }) => c.sys_id)).toEqual([change.sys_id]);
    // Through its states without approval records.
    for (const state of ['-2', '-1', '0']) {
      const moved = await s.snow.patch(`/api/now/table/change_request/${change.sys_id}`, { state });
      expect(moved.status).toBe(200);
    }
    const approvals = await s.snow.get('/api/now/table/sysapproval_approver', {
      params: { sysapproval: change.sys_id },
    });
    expect(approvals.data.result).toEqual([]);
  });

  it('refuses Assess and Authorize for a standard change, and an unknown template version', async () => {
    const version = await versionOf('Rotate a TLS certificate - v1');
    const { sys_id } = (
      await s.snow.post('/api/now/table/change_request', {
        type: 'standard',
        std_change_producer_version: version.sys_id,
      })
    ).data.result;
    for (const state of ['-4', '-3']) {
      const refused = await s.snow.patch(`/api/now/table/change_request/${sys_id}`, { state });
      expect(refused.status).toBe(403);
      expect(refused.data.error).toMatchObject({
        message: 'Operation Failed',
        detail: expect.stringContaining('pre-authorised'),
      });
    }
    expect((await s.snow.get(`/api/now/table/change_request/${sys_id}`)).data.result.state).toBe('-5');
    const unknown = await s.snow.post('/api/now/table/change_request', {
      type: 'standard',
      std_change_producer_version: '0123456789abcdef0123456789abcdef',
    });
    expect(unknown.status).toBe(403);
    expect(unknown.data.error.detail).toContain('is not a standard change template version');
    // A normal change still goes through Assess and Authorize.
    const normal = (await s.snow.post('/api/now/table/change_request', { type: 'normal' })).data.result;
    expect((await s.snow.patch(`/api/now/table/change_request/${normal.sys_id}`, { state: '-3' })).status).toBe(200);
  });
});
