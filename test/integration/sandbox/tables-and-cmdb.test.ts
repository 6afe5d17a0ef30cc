import { startSandbox, SYS_ID, type RunningSandbox } from './sandbox-harness';

let s: RunningSandbox;
beforeEach(async () => {
  s = await startSandbox();
});
afterEach(() => s.sandbox.close());

const one = async (table: string, query: string) =>
  (await s.snow.get(`/api/now/table/${table}`, { params: { sysparm_query: query } })).data.result[0];

describe('item 3: problem_task', () => {
  // https://www.servicenow.com/docs/r/it-service-management/problem-management/map-problem-task-state.html (problem_task.state 151 New, 152 Assess, 154 Work in Progress, 157 Closed)
  it('exists with its own numbers and state model, and a closed task is inactive', async () => {
    const problem = (await s.snow.post('/api/now/table/problem', { short_description: 'disk fills' })).data.result;
    const created = await s.snow.post('/api/now/table/problem_task', {
      problem: problem.sys_id,
      short_description: 'find root cause',
      problem_task_type: 'rca',
    });
    expect(created.status).toBe(201);
    const task = created.data.result;
    expect(task).toMatchObject({
      number: 'PTASK0010001',
      state: '151',
      active: 'true',
      sys_class_name: 'problem_task',
    });
    expect(task.problem.value).toBe(problem.sys_id);
    const shown = await s.snow.get(`/api/now/table/problem_task/${task.sys_id}`, {
      params: { sysparm_display_value: 'true', sysparm_fields: 'state,problem_task_type' },
    });
    expect(shown.data.result).toEqual({ state: 'New', problem_task_type: 'Root Cause Analysis' });
    const closed = await s.snow.patch(`/api/now/table/problem_task/${task.sys_id}`, { state: '157' });
    expect(closed.data.result).toMatchObject({ state: '157', active: 'false' });
    expect(closed.data.result.closed_at).not.toBe('');
    const choices = await s.snow.get('/api/now/table/sys_choice', {
      params: { sysparm_query: 'name=problem_task^element=state', sysparm_fields: 'value' },
    });
    expect(choices.data.result.map((c: { value: string }) => c.value)).toEqual(['151', '152', '154', '157']);
    // It is a task: the parent table lists it.
    expect((await one('task', `sys_id=${task.sys_id}`)).sys_class_name).toBe('problem_task');
  });
});

describe('item 4: CMDB classes and sys_user columns', () => {
  // Table API reads return every column of the class and its ancestors, "" when unset:
  // https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html
  it('an EC2 instance exists as a class and reads back with inherited columns such as category', async () => {
    const created = await s.snow.post('/api/now/table/cmdb_ci_ec2_instance', {
      name: 'i-0abc',
      object_id: 'i-0abc',
      instance_type: 't3.micro',
    });
    expect(created.status).toBe(201);
    const read = (await s.snow.get(`/api/now/table/cmdb_ci_ec2_instance/${created.data.result.sys_id}`)).data.result;
    expect(read).toMatchObject({
      name: 'i-0abc',
      instance_type: 't3.micro',
      category: '',
      vcpus: '',
      install_status: '1',
    });
    expect(read.department).toBe('');
    for (const cls of [
      'cmdb_ci_appl',
      'cmdb_ci_app_server',
      'cmdb_ci_vmware_instance',
      'cmdb_ci_cloud_service_account',
    ]) {
      expect((await s.snow.get(`/api/now/table/${cls}`)).status).toBe(200);
    }
    const seeded = await one('cmdb_ci_linux_server', 'name=web-01');
    expect(Object.keys(seeded)).toEqual(expect.arrayContaining(['category', 'subcategory', 'owned_by', 'virtual']));
    // The parent table sees the new class, with the parent's columns only.
    const viaParent = await one('cmdb_ci', 'name=i-0abc');
    expect(viaParent.sys_class_name).toBe('cmdb_ci_ec2_instance');
    expect(viaParent).not.toHaveProperty('instance_type');
  });

  it('sys_user shows user_password as ******** and department as a reference to cmn_department', async () => {
    const created = await s.snow.post('/api/now/table/sys_user', {
      user_name: 'svc.backup',
      first_name: 'Backup',
      last_name: 'Service',
      user_password: 'S3cret!',
      department: 'Finance',
    });
    const user = created.data.result;
    expect(user.user_password).toBe('********');
    expect(JSON.stringify(created.data)).not.toContain('S3cret!');
    expect(user.department).toMatchObject({ value: expect.stringMatching(SYS_ID) });
    expect(user.department.link).toContain('/api/now/table/cmn_department/');
    const probe = await s.snow.get('/api/now/table/sys_user', { params: { sysparm_query: 'user_password=S3cret!' } });
    expect(probe.data.result).toEqual([]);
    const abel = await s.snow.get('/api/now/table/sys_user', {
      params: {
        user_name: 'abel.tuter',
        sysparm_fields: 'department.name,user_password',
        sysparm_display_value: 'true',
      },
    });
    expect(abel.data.result).toEqual([{ 'department.name': 'IT', user_password: '' }]);
  });
});

describe('item 5: CMDB Instance API', () => {
  // https://www.servicenow.com/docs/r/api-reference/rest-apis/cmdb-instance-api.html
  it('lists a class, reads a CI with attributes and inbound/outbound relations from cmdb_rel_ci', async () => {
    const list = await s.snow.get('/api/now/cmdb/instance/cmdb_ci_linux_server');
    expect(list.status).toBe(200);
    expect(list.data.result.map((r: { name: string }) => r.name).sort()).toEqual(['db-01', 'web-01', 'web-02']);
    expect(Object.keys(list.data.result[0]).sort()).toEqual(['name', 'sys_id']);
    const web01 = list.data.result.find((r: { name: string }) => r.name === 'web-01');
    const got = await s.snow.get(`/api/now/cmdb/instance/cmdb_ci_linux_server/${web01.sys_id}`);
    expect(got.status).toBe(200);
    const { attributes, outbound_relations, inbound_relations } = got.data.result;
    expect(attributes).toMatchObject({ name: 'web-01', sys_class_name: 'cmdb_ci_linux_server', category: '' });
    expect(attributes.support_group).toMatchObject({
      display_value: 'Linux Ops',
      value: expect.stringMatching(SYS_ID),
    });
    expect(outbound_relations).toEqual([
      {
        sys_id: expect.stringMatching(SYS_ID),
        type: expect.objectContaining({ display_value: 'Depends on::Used by' }),
        target: expect.objectContaining({
          display_value: 'db-01',
          link: expect.stringContaining('/api/now/cmdb/instance/cmdb_ci/'),
        }),
      },
    ]);
    expect(inbound_relations.map((r: { target: { display_value: string } }) => r.target.display_value)).toEqual([
      'Online Shop',
    ]);
  });

  it('adds and removes relations, refusing a target that is not a CI', async () => {
    const ids = (await s.snow.get('/api/now/cmdb/instance/cmdb_ci_linux_server')).data.result;
    const [web02, db01] = ['web-02', 'db-01'].map((n) => ids.find((r: { name: string }) => r.name === n).sys_id);
    const runsOn = (await one('cmdb_rel_type', 'name=Runs on::Runs')).sys_id;
    const added = await s.snow.post(`/api/now/cmdb/instance/cmdb_ci_linux_server/${db01}/relation`, {
      outbound_relations: [{ target: web02, type: runsOn }],
    });
    expect(added.status).toBe(200);
    const rel = added.data.result.outbound_relations.find((r: { type: { value: string } }) => r.type.value === runsOn);
    expect(rel.target.value).toBe(web02);
    const web02View = (await s.snow.get(`/api/now/cmdb/instance/cmdb_ci_linux_server/${web02}`)).data.result;
    expect(web02View.inbound_relations.map((r: { sys_id: string }) => r.sys_id)).toContain(rel.sys_id);
    const bad = await s.snow.post(`/api/now/cmdb/instance/cmdb_ci_linux_server/${db01}/relation`, {
      inbound_relations: [{ target: '0123456789abcdef0123456789abcdef', type: runsOn }],
    });
    expect(bad.status).toBe(400);
    expect(bad.data.error.detail).toContain('inbound_relations.0.target');
    const removed = await s.snow.delete(`/api/now/cmdb/instance/cmdb_ci_linux_server/${db01}/relation/${rel.sys_id}`);
    expect(removed.status).toBe(200);
    expect((await s.snow.get(`/api/now/table/cmdb_rel_ci/${rel.sys_id}`)).status).toBe(404);
  });

  it('answers an unknown or non-CMDB class as an instance answers an unknown table', async () => {
    expect((await s.snow.get('/api/now/cmdb/instance/u_custom_ci')).status).toBe(400);
    expect((await s.snow.get('/api/now/cmdb/instance/incident')).status).toBe(400);
    expect(
      (await s.snow.get('/api/now/cmdb/instance/cmdb_ci_linux_server/0123456789abcdef0123456789abcdef')).status,
    ).toBe(404);
  });
});
