import { startSandbox, type RunningSandbox } from './sandbox-harness';

let s: RunningSandbox;
beforeEach(async () => {
  s = await startSandbox();
});
afterEach(() => s.sandbox.close());

async function incidents(
  count: number,
  body: (i: number) => Record<string, unknown> = (i) => ({ short_description: `incident ${i}` }),
) {
  for (let i = 1; i <= count; i++) expect((await s.snow.post('/api/now/table/incident', body(i))).status).toBe(201);
}

const list = (table: string, params: Record<string, string>) => s.snow.get(`/api/now/table/${table}`, { params });

describe('sysparm_query with encoded queries (servicenow-behaviour §1.2, §2)', () => {
  it('AND, OR and ORDERBYDESC (servicenow-behaviour §2.1)', async () => {
    await incidents(4, (i) => ({ short_description: `disk ${i}`, impact: String(((i - 1) % 3) + 1), urgency: '1' }));
    const res = await list('incident', {
      sysparm_query: 'short_descriptionLIKEdisk^priority=1^ORpriority=3^ORDERBYDESCnumber',
      sysparm_fields: 'number,priority',
    });
    expect(res.data.result).toEqual([
      { number: 'INC0010004', priority: '1' },
      { number: 'INC0010003', priority: '3' },
      { number: 'INC0010001', priority: '1' },
    ]);
  });

  it('an invalid term (unknown field) is dropped silently and the rest applied', async () => {
    await incidents(2, (i) => ({ short_description: `host ${i}`, urgency: String(i) }));
    const res = await list('incident', {
      sysparm_query: 'u_no_such_field=1^urgency=2',
      sysparm_fields: 'short_description',
    });
    expect(res.status).toBe(200);
    expect(res.data.result).toEqual([{ short_description: 'host 2' }]);
  });

  it('values with spaces and != as the checks use them', async () => {
    await incidents(3, () => ({ short_description: 'nginx is down on web-01' }));
    const [first] = (await list('incident', { sysparm_fields: 'sys_id' })).data.result;
    await s.snow.patch(`/api/now/table/incident/${first.sys_id}`, {
      state: '6',
      close_code: 'Solution provided',
      close_notes: 'restarted',
    });
    const res = await list('incident', {
      sysparm_query: 'short_description=nginx is down on web-01^state!=6',
      sysparm_fields: 'number',
    });
    expect(res.data.result).toEqual([{ number: 'INC0010002' }, { number: 'INC0010003' }]);
  });

  it('dot-walking in the query: caller_id.email', async () => {
    await incidents(1, () => ({ short_description: 'mine', caller_id: 'Abel Tuter' }));
    await incidents(1, () => ({ short_description: 'theirs', caller_id: 'Beth Anglin' }));
    const res = await list('incident', {
      sysparm_query: 'caller_id.email=abel.tuter@example.com',
      sysparm_fields: 'short_description',
    });
    expect(res.data.result).toEqual([{ short_description: 'mine' }]);
  });

  it('cmdb_ci lists rows of every subclass; INSTANCEOF narrows to a class and its children (servicenow-behaviour §4.1)', async () => {
    const all = await list('cmdb_ci', { sysparm_fields: 'name,sys_class_name' });
    expect(all.data.result).toEqual([
      { name: 'web-01', sys_class_name: 'cmdb_ci_linux_server' },
      { name: 'web-02', sys_class_name: 'cmdb_ci_linux_server' },
      { name: 'db-01', sys_class_name: 'cmdb_ci_linux_server' },
      { name: 'Online Shop', sys_class_name: 'cmdb_ci_service' },
    ]);
    const servers = await list('cmdb_ci', {
      sysparm_query: 'sys_class_nameINSTANCEOFcmdb_ci_server^ORDERBYname',
      sysparm_fields: 'name',
    });
    expect(servers.data.result).toEqual([{ name: 'db-01' }, { name: 'web-01' }, { name: 'web-02' }]);
    const web01 = await list('cmdb_ci', {
      sysparm_query: 'name=web-01',
      sysparm_fields: 'name,ip_address,environment',
    });
    expect(web01.data.result).toEqual([{ name: 'web-01', ip_address: '10.0.1.11', environment: 'Production' }]);
  });

  it('the journal read pattern: element_id=<id>^element=work_notes^ORDERBYDESCsys_created_on (servicenow-behaviour §3.6)', async () => {
    const { data } = await s.snow.post('/api/now/table/incident', { short_description: 'x', work_notes: 'first' });
    await s.snow.patch(`/api/now/table/incident/${data.result.sys_id}`, {
      work_notes: 'second',
      comments: 'to the caller',
    });
    const res = await list('sys_journal_field', {
      sysparm_query: `element_id=${data.result.sys_id}^element=work_notes^ORDERBYDESCsys_created_on`,
      sysparm_fields: 'value',
    });
    expect(res.data.result).toEqual([{ value: 'second' }, { value: 'first' }]);
  });
});

describe('name–value filters (servicenow-behaviour §1.1)', () => {
  it('?active=true&state=2 filters by raw values; choices may be given by display value', async () => {
    await incidents(3);
    const [, second] = (await list('incident', { sysparm_fields: 'sys_id' })).data.result;
    await s.snow.patch(`/api/now/table/incident/${second.sys_id}`, { state: '2' });
    expect((await list('incident', { active: 'true', state: '2', sysparm_fields: 'number' })).data.result).toEqual([
      { number: 'INC0010002' },
    ]);
    expect((await list('incident', { state: 'In Progress', sysparm_fields: 'number' })).data.result).toEqual([
      { number: 'INC0010002' },
    ]);
    expect((await list('sys_user_group', { name: 'Database', sysparm_fields: 'name' })).data.result).toEqual([
      { name: 'Database' },
    ]);
  });
});

describe('sysparm_fields (servicenow-behaviour §1.2)', () => {
  it('selected fields only, dot-walked keys literal, unknown names ignored', async () => {
    await incidents(1, () => ({ short_description: 'x', caller_id: 'Abel Tuter', cmdb_ci: 'web-01' }));
    const res = await list('incident', {
      sysparm_fields: 'number,caller_id.email,caller_id.manager.name,cmdb_ci.ip_address,u_unknown,assigned_to.email',
    });
    expect(res.data.result).toEqual([
      {
        number: 'INC0010001',
        'caller_id.email': 'abel.tuter@example.com',
        'caller_id.manager.name': '',
        'cmdb_ci.ip_address': '10.0.1.11',
        'assigned_to.email': '',
      },
    ]);
  });
});

describe('pagination: X-Total-Count and Link (servicenow-behaviour §1.3)', () => {
  it('a middle page has first, prev, next and last, each repeating the query with a new offset', async () => {
    await incidents(7);
    const res = await list('incident', {
      sysparm_query: 'active=true',
      sysparm_fields: 'number',
      sysparm_limit: '2',
      sysparm_offset: '2',
    });
    expect(res.data.result).toEqual([{ number: 'INC0010003' }, { number: 'INC0010004' }]);
    expect(res.headers['x-total-count']).toBe('7');
    const page = (offset: number) =>
      `<${s.url}/api/now/table/incident?sysparm_query=active%3Dtrue&sysparm_fields=number&sysparm_offset=${offset}&sysparm_limit=2>`;
    expect(res.headers.link).toBe(
      `${page(0)};rel="first",${page(0)};rel="prev",${page(4)};rel="next",${page(6)};rel="last"`,
    );
  });

  it('the first page has no prev, the last no next; one page has no Link at all', async () => {
    await incidents(3);
    const first = await list('incident', { sysparm_limit: '2' });
    expect(first.headers.link).toBe(
      `<${s.url}/api/now/table/incident?sysparm_offset=0&sysparm_limit=2>;rel="first",<${s.url}/api/now/table/incident?sysparm_offset=2&sysparm_limit=2>;rel="next",<${s.url}/api/now/table/incident?sysparm_offset=2&sysparm_limit=2>;rel="last"`,
    );
    const last = await list('incident', { sysparm_limit: '2', sysparm_offset: '2' });
    expect(last.data.result).toHaveLength(1);
    expect(last.headers.link).toBe(
      `<${s.url}/api/now/table/incident?sysparm_offset=0&sysparm_limit=2>;rel="first",<${s.url}/api/now/table/incident?sysparm_offset=0&sysparm_limit=2>;rel="prev",<${s.url}/api/now/table/incident?sysparm_offset=2&sysparm_limit=2>;rel="last"`,
    );
    const single = await list('incident', {});
    expect(single.headers.link).toBeUndefined();
    expect(single.headers['x-total-count']).toBe('3');
  });

  it('sysparm_suppress_pagination_header drops Link; the client loop offset += limit sees every row once (servicenow-behaviour §1.2)', async () => {
    await incidents(5);
    const suppressed = await list('incident', { sysparm_limit: '2', sysparm_suppress_pagination_header: 'true' });
    expect(suppressed.headers.link).toBeUndefined();
    expect(suppressed.headers['x-total-count']).toBe('5');
    const seen: string[] = [];
    for (let offset = 0; offset < 5; offset += 2) {
      const page = await list('incident', {
        sysparm_limit: '2',
        sysparm_offset: String(offset),
        sysparm_fields: 'number',
      });
      seen.push(...page.data.result.map((r: { number: string }) => r.number));
    }
    expect(seen).toEqual(['INC0010001', 'INC0010002', 'INC0010003', 'INC0010004', 'INC0010005']);
  });

  it('the default limit is 10000 and a negative offset counts as 0 (servicenow-behaviour §1.2)', async () => {
    await incidents(2);
    const res = await list('incident', { sysparm_offset: '-5', sysparm_fields: 'number' });
    expect(res.data.result).toHaveLength(2);
    const next = await list('sys_choice', { sysparm_limit: '1', sysparm_fields: 'sys_id' });
    expect(next.headers.link).toContain('sysparm_limit=1');
    expect((await list('sys_choice', { sysparm_fields: 'sys_id' })).headers.link).toBeUndefined();
  });
});
