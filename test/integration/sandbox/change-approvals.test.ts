import { startSandbox, type RunningSandbox } from './sandbox-harness';

// https://www.servicenow.com/docs/r/it-service-management/change-management/c_ChangeStateModel.html: change states (-5 New, -3 Authorize, -2 Scheduled), the `approval`
// field (`not requested` with a space, requested, approved, rejected), approval records in
// sysapproval_approver, and a rejection sends a normal or emergency change back to New (docs/servicenow-behaviour.md §3.4).
// Schedules: cmn_schedule (docs/servicenow-behaviour.md §3.7).
let s: RunningSandbox;
beforeAll(async () => {
  s = await startSandbox();
});
afterAll(() => s.sandbox.close());

const userId = async (name: string) =>
  (await s.snow.get(`/api/now/table/sys_user?sysparm_query=user_name=${name}`)).data.result[0].sys_id as string;
const groupId = async (name: string) =>
  (await s.snow.get(`/api/now/table/sys_user_group?sysparm_query=name=${encodeURIComponent(name)}`)).data.result[0]
    .sys_id as string;
const change = async (id: string) =>
  (await s.snow.get(`/api/now/table/change_request/${id}`)).data.result as Record<string, string>;
const approvals = async (id: string) =>
  (
    await s.snow.get(
      `/api/now/table/sysapproval_approver?sysparm_query=sysapproval=${id}^ORDERBYsys_created_on&sysparm_exclude_reference_link=true`,
    )
  ).data.result as Record<string, string>[];
const create = async (fields: Record<string, string>) =>
  (await s.snow.post('/api/now/table/change_request', { type: 'normal', short_description: 'Patch web-01', ...fields }))
    .data.result.sys_id as string;
const patch = (table: string, id: string, body: Record<string, string>) =>
  s.snow.patch(`/api/now/table/${table}/${id}`, body);

describe('sandbox change approvals (servicenow-behaviour §3.4)', () => {
  it('a new change is not requested for approval', async () => {
    const id = await create({});
    expect(await change(id)).toMatchObject({ state: '-5', approval: 'not requested' });
    expect(await approvals(id)).toEqual([]);
  });

  it('entering Authorize requests approval from the CAB manager and the assignment group manager', async () => {
    const id = await create({});
    await patch('change_request', id, { state: '-3', assignment_group: await groupId('Linux Ops') });
    expect((await change(id)).approval).toBe('requested');
    const rows = await approvals(id);
    expect(rows.map((r) => [r.approver, r.state, r.source_table, r.document_id])).toEqual([
      [await userId('david.loo'), 'requested', 'change_request', id],
      [await userId('beth.anglin'), 'requested', 'change_request', id],
    ]);
  });

  it('all approvers approving moves the change to Scheduled, approved', async () => {
    const id = await create({ state: '-3', assignment_group: await groupId('Linux Ops') });
    const [first, second] = await approvals(id);
    await patch('sysapproval_approver', first!.sys_id!, { state: 'approved' });
    expect(await change(id)).toMatchObject({ state: '-3', approval: 'requested' });
    await patch('sysapproval_approver', second!.sys_id!, { state: 'approved' });
    expect(await change(id)).toMatchObject({ state: '-2', approval: 'approved' });
  });

  it('one rejection sends the change back to New, rejected, and cancels the open approvals', async () => {
    const id = await create({ state: '-3', assignment_group: await groupId('Linux Ops') });
    const [first] = await approvals(id);
    await patch('sysapproval_approver', first!.sys_id!, { state: 'rejected', comments: 'not this week' });
    expect(await change(id)).toMatchObject({ state: '-5', approval: 'rejected' });
    expect((await approvals(id)).map((r) => r.state)).toEqual(['rejected', 'cancelled']);
  });

  it('approving on the change record directly marks the open approvals no longer required', async () => {
    const id = await create({ state: '-3' });
    await patch('change_request', id, { approval: 'approved', state: '-2' });
    expect((await approvals(id)).map((r) => r.state)).toEqual(['not_required']);
  });

  it('moving a change back to Authorize asks for approval again', async () => {
    const id = await create({ state: '-3' });
    await patch('change_request', id, { approval: 'approved', state: '-2' });
    await patch('change_request', id, { state: '-3' });
    expect((await change(id)).approval).toBe('requested');
    expect((await approvals(id)).map((r) => r.state)).toEqual(['not_required', 'requested']);
  });

  it('blackout schedules and their spans are tables of the instance (servicenow-behaviour §3.7)', async () => {
    const schedule = await s.snow.post('/api/now/table/cmn_schedule', { name: 'Year end', type: 'blackout' });
    expect(schedule.status).toBe(201);
    const span = await s.snow.post('/api/now/table/cmn_schedule_span', {
      schedule: schedule.data.result.sys_id,
      start_date_time: '20261220T000000',
      end_date_time: '20270104T000000',
    });
    expect(span.status).toBe(201);
    const listed = await s.snow.get('/api/now/table/cmn_schedule?sysparm_query=type=blackout');
    expect(listed.data.result.map((r: Record<string, string>) => r.name)).toEqual(['Year end']);
  });
});
