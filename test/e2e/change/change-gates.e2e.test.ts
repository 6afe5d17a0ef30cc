import { eventually, sleep, startChangeHarness, utc, type ChangeHarness } from './change-harness';

// The shipped mappings/change.yaml on the sandbox. Change states and approvals:
// https://www.servicenow.com/docs/r/it-service-management/change-management/c_ChangeStateModel.html (Authorize -3, Scheduled -2, Implement -1, Review 0; close_code successful/unsuccessful);
// journal entries docs/servicenow-behaviour.md §3.6; approval records in sysapproval_approver §3.4.
jest.setTimeout(90_000);

let h: ChangeHarness;
const ci: Record<string, string> = {};

beforeAll(async () => {
  h = await startChangeHarness();
  for (const name of ['web-01', 'web-02', 'db-01']) ci[name] = await h.sysId('cmdb_ci', `name=${name}`);
});
afterAll(() => h?.stop());

const normalChange = (host: string, fields: Record<string, string> = {}) =>
  h.createChange({
    type: 'normal',
    cmdb_ci: ci[host]!,
    short_description: `Patch ${host}`,
    start_date: utc(-60),
    end_date: utc(3600),
    state: '-3',
    approval: 'requested',
    ...fields,
  });

const approve = (sysId: string) =>
  h.snow('PATCH', `/api/now/table/change_request/${sysId}`, { approval: 'approved', state: '-2' });

const inReview = (sysId: string) =>
  eventually(
    async () => {
      const c = await h.change(sysId);
      return c.state === '0' ? c : undefined;
    },
    20_000,
    'the change to reach Review',
  );

describe('change gates on the sandbox', () => {
  it('runs an approved normal change inside its window: Implement, one job, Review successful, notes per milestone', async () => {
    const id = await normalChange('web-01', { state: '-2', approval: 'approved' });
    const done = await inReview(id);
    expect(done.close_code).toBe('successful');
    expect(done.close_notes).toMatch(/step patch succeeded \(controller job \d+\)/);
    expect(done.work_start).not.toBe('');
    expect(done.work_end).not.toBe('');
    const jobs = await h.jobsFor('web-01');
    expect(jobs).toEqual([expect.objectContaining({ name: 'Patch host', status: 'successful' })]);
    const notes = await h.workNotes(id);
    expect(
      notes.some((n) => n.includes('change gates passed') && n.includes('Starting the implementation plan: patch')),
    ).toBe(true);
    expect(notes.some((n) => n.includes(`controller job ${jobs[0]!.id}`))).toBe(true);
    // The plan step's job log is attached to the change record.
    const logs = await eventually(
      async () => {
        const found = await h.attachments('change_request', id);
        return found.length > 0 ? found : undefined;
      },
      10_000,
      'the job log attachment',
    );
    expect(logs).toEqual([
      {
        file_name: expect.stringMatching(/^snowline-[0-9a-f]{8}-patch\.log$/),
        content: expect.stringContaining('PLAY RECAP'),
      },
    ]);
  });

  it('waits for approval, launching nothing, then runs once the change manager approves through the approval record', async () => {
    const id = await normalChange('web-02');
    await eventually(
      async () => (await h.workNotes(id)).some((n) => n.includes('waiting for approval')),
      10_000,
      'a waiting note',
    );
    await sleep(1500);
    expect(await h.jobsFor('web-02')).toEqual([]);
    expect((await h.change(id)).state).toBe('-3');
    // The sandbox created the CAB approval when the change entered Authorize; the approver approves it.
    const approval = await h.sysId('sysapproval_approver', `sysapproval=${id}^state=requested`);
    await h.snow('PATCH', `/api/now/table/sysapproval_approver/${approval}`, { state: 'approved' });
    const done = await inReview(id);
    expect(done.close_code).toBe('successful');
    expect(await h.jobsFor('web-02')).toHaveLength(1);
  });

  it('waits for the planned start of an approved change, then runs', async () => {
    const start = utc(6);
    const id = await h.createChange({
      type: 'normal',
      cmdb_ci: ci['db-01']!,
      short_description: 'Patch db-01',
      start_date: start,
      end_date: utc(3600),
      state: '-2',
      approval: 'approved',
    });
    await eventually(
      async () => (await h.workNotes(id)).some((n) => n.includes(`waiting for the planned start ${start} UTC`)),
      10_000,
      'a note about the start',
    );
    expect(await h.jobsFor('db-01')).toEqual([]);
    const done = await inReview(id);
    expect(done.close_code).toBe('successful');
    expect((done.work_start ?? '') >= start).toBe(true);
  });

  it('refuses a change whose window has ended, with a work note, and leaves its state alone', async () => {
    const id = await normalChange('web-01', {
      short_description: 'Patch web-01 late',
      start_date: utc(-7200),
      end_date: utc(-3600),
      state: '-2',
      approval: 'approved',
    });
    const note = await eventually(
      async () => (await h.workNotes(id)).find((n) => n.includes('not implementing')),
      10_000,
      'a refusal note',
    );
    expect(note).toContain('the planned change window ended at');
    const c = await h.change(id);
    expect(c.state).toBe('-2');
    expect(c.close_code).toBe('');
  });

  it('refuses a change whose requester is one of its approvers (segregation of duties)', async () => {
    const manager = await h.sysId('sys_user', 'user_name=david.loo');
    const id = await normalChange('web-02', { short_description: 'Patch web-02 again', requested_by: manager });
    const note = await eventually(
      async () => (await h.workNotes(id)).find((n) => n.includes('segregation of duties')),
      10_000,
      'a segregation-of-duties note',
    );
    expect(note).toContain(`the requester (${manager}) is also an approver`);
    const c = await h.change(id);
    expect(c.state).toBe('-3');
    expect((await h.jobsFor('web-02')).length).toBe(1); // only the earlier test's job
  });

  it('stops a run waiting for its window when the approval is withdrawn', async () => {
    const id = await h.createChange({
      type: 'normal',
      cmdb_ci: ci['db-01']!,
      short_description: 'Patch db-01 tonight',
      start_date: utc(1800),
      end_date: utc(3600),
      state: '-2',
      approval: 'approved',
    });
    await eventually(
      async () => (await h.workNotes(id)).some((n) => n.includes('waiting for the planned start')),
      10_000,
      'a waiting note',
    );
    // The change manager pulls it back for re-authorisation.
    await h.snow('PATCH', `/api/now/table/change_request/${id}`, { state: '-3', approval: 'requested' });
    const note = await eventually(
      async () => (await h.workNotes(id)).find((n) => n.includes('not implementing')),
      10_000,
      'a stop note',
    );
    expect(note).toContain('no longer approved for implementation');
    // Approving again does not revive the stopped run.
    await approve(id);
    await sleep(1500);
    expect((await h.jobsFor('db-01')).length).toBe(1);
    expect((await h.change(id)).state).toBe('-2');
  });

  it('runs a pre-approved standard change without approval and closes one change task per step', async () => {
    const id = await h.createChange({
      type: 'standard',
      cmdb_ci: ci['web-01']!,
      short_description: 'Restart nginx on web-01',
      state: '-2',
    });
    const done = await inReview(id);
    expect(done.close_code).toBe('successful');
    expect(done.approval).toBe('not requested');
    const tasks = await eventually(
      async () => {
        const rows = await h.tasks(id);
        return rows.length === 1 && rows[0]!.state === '3' ? rows : undefined;
      },
      10_000,
      'the change task to close',
    );
    expect(tasks[0]!.short_description).toContain('restart (ansible.launch_job_template)');
  });
});
