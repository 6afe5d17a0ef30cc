import { GLIDE_DATE_TIME, startSandbox, SYS_ID, type RunningSandbox } from './sandbox-harness';

let s: RunningSandbox;
beforeEach(async () => {
  s = await startSandbox();
});
afterEach(() => s.sandbox.close());

const ABEL = { name: 'Abel Tuter' };

async function incidentWithCaller() {
  const res = await s.snow.post('/api/now/table/incident', {
    short_description: 'vpn down',
    caller_id: ABEL.name,
    impact: '2',
    urgency: '2',
  });
  return res.data.result as Record<string, unknown> & { sys_id: string; caller_id: { value: string } };
}

describe('field value encoding (servicenow-behaviour §1.4)', () => {
  it('every value is a string; system fields are on every record', async () => {
    const created = await incidentWithCaller();
    for (const value of Object.values(created)) {
      // A scalar is a string; only references are objects, {link, value}.
      if (typeof value === 'object') expect(Object.keys(value as object).sort()).toEqual(['link', 'value']);
      else expect(typeof value).toBe('string');
    }
    expect(created).toMatchObject({
      sys_tags: '',
      sys_class_name: 'incident',
      sys_domain: { link: `${s.url}/api/now/table/sys_user_group/global`, value: 'global' },
      sys_domain_path: '/',
      sys_mod_count: '0',
      active: 'true',
      reassignment_count: '0',
    });
    expect(created.sys_id).toMatch(SYS_ID);
    expect(created.sys_updated_on).toMatch(GLIDE_DATE_TIME);
    const user = await s.snow.get('/api/now/table/sys_user', {
      params: { user_name: 'admin', sysparm_fields: 'sys_id,name,sys_mod_count,sys_domain_path' },
    });
    expect(user.data.result).toEqual([
      {
        sys_id: '6816f79cc0a8016401c5a33be04be441',
        name: 'System Administrator',
        sys_mod_count: '0',
        sys_domain_path: '/',
      },
    ]);
  });

  it('numbers count up per table with their prefix and 7 digits', async () => {
    const numbers = [];
    for (const table of ['incident', 'incident', 'change_request', 'problem', 'change_task']) {
      numbers.push((await s.snow.post(`/api/now/table/${table}`, { short_description: 'x' })).data.result.number);
    }
    expect(numbers).toEqual(['INC0010001', 'INC0010002', 'CHG0030001', 'PRB0040001', 'CTASK0010001']);
  });

  it('sys_mod_count +1 per update; an update that changes nothing is not saved', async () => {
    const created = await incidentWithCaller();
    const path = `/api/now/table/incident/${created.sys_id}`;
    expect((await s.snow.patch(path, { description: 'one' })).data.result.sys_mod_count).toBe('1');
    expect((await s.snow.patch(path, { description: 'two' })).data.result.sys_mod_count).toBe('2');
    expect((await s.snow.patch(path, { description: 'two' })).data.result.sys_mod_count).toBe('2');
  });

  it('reference fields: {link, value} by default; display_value=true → {display_value, link}; all → all three', async () => {
    const created = await incidentWithCaller();
    const link = `${s.url}/api/now/table/sys_user/${created.caller_id.value}`;
    expect(created.caller_id).toEqual({ link, value: created.caller_id.value });
    const get = (params: Record<string, string>) =>
      s.snow
        .get(`/api/now/table/incident/${created.sys_id}`, {
          params: { sysparm_fields: 'caller_id,state,assigned_to,priority', ...params },
        })
        .then((r) => r.data.result);
    expect(await get({ sysparm_display_value: 'true' })).toEqual({
      caller_id: { display_value: 'Abel Tuter', link },
      state: 'New',
      assigned_to: '',
      priority: '3 - Moderate',
    });
    expect(await get({ sysparm_display_value: 'all' })).toEqual({
      caller_id: { display_value: 'Abel Tuter', link, value: created.caller_id.value },
      state: { display_value: 'New', value: '1' },
      assigned_to: { display_value: '', value: '' },
      priority: { display_value: '3 - Moderate', value: '3' },
    });
  });

  it('sysparm_exclude_reference_link: the sys_id, the display value, or both without link', async () => {
    const created = await incidentWithCaller();
    const get = (display: string) =>
      s.snow
        .get(`/api/now/table/incident/${created.sys_id}`, {
          params: {
            sysparm_fields: 'caller_id',
            sysparm_exclude_reference_link: 'true',
            sysparm_display_value: display,
          },
        })
        .then((r) => r.data.result.caller_id);
    expect(await get('false')).toBe(created.caller_id.value);
    expect(await get('true')).toBe('Abel Tuter');
    expect(await get('all')).toEqual({ display_value: 'Abel Tuter', value: created.caller_id.value });
  });

  it('a dot-walked reference under display_value=true: {display_value, link}, or "" when empty', async () => {
    const created = (
      await s.snow.post('/api/now/table/incident', { short_description: 'x', assignment_group: 'Linux Ops' })
    ).data.result;
    const res = await s.snow.get(`/api/now/table/incident/${created.sys_id}`, {
      params: { sysparm_fields: 'assignment_group.manager,caller_id.manager', sysparm_display_value: 'true' },
    });
    expect(res.data.result).toEqual({
      'assignment_group.manager': {
        display_value: 'Beth Anglin',
        link: expect.stringMatching(new RegExp(`^${s.url}/api/now/table/sys_user/[0-9a-f]{32}$`)),
      },
      'caller_id.manager': '',
    });
  });

  it('display values are returned on writes too (servicenow-behaviour §1.2)', async () => {
    const res = await s.snow.post(
      '/api/now/table/incident',
      { short_description: 'x' },
      { params: { sysparm_display_value: 'true', sysparm_fields: 'state,category' } },
    );
    expect(res.data.result).toEqual({ state: 'New', category: 'Inquiry / Help' });
  });

  it('sysparm_input_display_value=true takes choice labels (servicenow-behaviour §1.2)', async () => {
    const res = await s.snow.post(
      '/api/now/table/incident',
      { short_description: 'x', state: 'In Progress' },
      { params: { sysparm_input_display_value: 'true', sysparm_fields: 'state' } },
    );
    expect(res.data.result).toEqual({ state: '2' });
  });
});

describe('ticket rules (servicenow-behaviour §3.1–3.3)', () => {
  it.each([
    ['1', '1', '1'],
    ['1', '2', '2'],
    ['1', '3', '3'],
    ['2', '1', '2'],
    ['2', '2', '3'],
    ['2', '3', '4'],
    ['3', '1', '3'],
    ['3', '2', '4'],
    ['3', '3', '5'],
  ])(
    'impact %s × urgency %s → priority %s, whatever priority was sent (servicenow-behaviour §3.3)',
    async (impact, urgency, priority) => {
      const res = await s.snow.post('/api/now/table/incident', {
        short_description: 'x',
        impact,
        urgency,
        priority: '1',
      });
      expect(res.data.result.priority).toBe(priority);
    },
  );

  it('priority is recomputed when urgency changes (servicenow-behaviour §3.3)', async () => {
    const created = (await s.snow.post('/api/now/table/incident', { short_description: 'x' })).data.result;
    expect(created.priority).toBe('5');
    const res = await s.snow.patch(`/api/now/table/incident/${created.sys_id}`, { urgency: '1', impact: '1' });
    expect(res.data.result.priority).toBe('1');
  });

  it('active=false once closed or canceled, with closed_at/closed_by; Resolved stays active with resolved_at (servicenow-behaviour §3.1)', async () => {
    const created = (await s.snow.post('/api/now/table/incident', { short_description: 'x' })).data.result;
    const path = `/api/now/table/incident/${created.sys_id}`;
    const resolved = (await s.snow.patch(path, { state: '6', close_code: 'Solution provided', close_notes: 'done' }))
      .data.result;
    expect(resolved).toMatchObject({
      active: 'true',
      incident_state: '6',
      resolved_by: { value: '6816f79cc0a8016401c5a33be04be441' },
    });
    expect(resolved.resolved_at).toMatch(GLIDE_DATE_TIME);
    const closed = (await s.snow.patch(path, { state: '7' })).data.result;
    expect(closed).toMatchObject({ active: 'false', incident_state: '7' });
    expect(closed.closed_at).toMatch(GLIDE_DATE_TIME);
    const change = (await s.snow.post('/api/now/table/change_request', { short_description: 'x', state: '4' })).data
      .result;
    expect(change).toMatchObject({ active: 'false', state: '4', type: 'normal' });
  });

  it('sys_user name is calculated from first and last name', async () => {
    const created = (
      await s.snow.post('/api/now/table/sys_user', { user_name: 'jane.doe', first_name: 'Jane', last_name: 'Doe' })
    ).data.result;
    expect(created.name).toBe('Jane Doe');
    const renamed = await s.snow.patch(`/api/now/table/sys_user/${created.sys_id}`, { last_name: 'Roe' });
    expect(renamed.data.result.name).toBe('Jane Roe');
  });

  it('sys_choice holds the choices of the model, e.g. incident close codes (servicenow-behaviour §3.2)', async () => {
    const res = await s.snow.get('/api/now/table/sys_choice', {
      params: { sysparm_query: 'name=incident^element=close_code^ORDERBYsequence', sysparm_fields: 'value' },
    });
    expect(res.data.result.map((c: { value: string }) => c.value)).toContain('Solution provided');
    const states = await s.snow.get('/api/now/table/sys_choice', {
      params: { sysparm_query: 'name=change_request^element=state^ORDERBYsequence', sysparm_fields: 'value,label' },
    });
    expect(states.data.result.map((c: { value: string }) => c.value)).toEqual([
      '-5',
      '-4',
      '-3',
      '-2',
      '-1',
      '0',
      '3',
      '4',
    ]);
  });
});
