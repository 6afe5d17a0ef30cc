import { eventually, SHIPPED_CHANGE_MAPPING, startChangeHarness, utc, type ChangeHarness } from './change-harness';

// Freezes (config) and blackout schedules (docs/servicenow-behaviour.md §3.7), and the rollback plan of the shipped rule.
// Change states and close codes: https://www.servicenow.com/docs/r/it-service-management/change-management/c_ChangeStateModel.html.
jest.setTimeout(90_000);

const inReview = (h: ChangeHarness, sysId: string) =>
  eventually(
    async () => {
      const c = await h.change(sysId);
      return c.state === '0' ? c : undefined;
    },
    25_000,
    'the change to reach Review',
  );

describe('a change freeze in config', () => {
  let h: ChangeHarness;
  let web01: string;
  beforeAll(async () => {
    h = await startChangeHarness({
      change: { freezes: [{ name: 'Year-end freeze', start: utc(-3600), end: utc(7200) }] },
    });
    web01 = await h.sysId('cmdb_ci', 'name=web-01');
  });
  afterAll(() => h?.stop());

  it('blocks a normal change whose window lies inside the freeze, and says so', async () => {
    const id = await h.createChange({
      type: 'normal',
      cmdb_ci: web01,
      short_description: 'Patch web-01',
      start_date: utc(-60),
      end_date: utc(3600),
      state: '-2',
      approval: 'approved',
    });
    const note = await eventually(
      async () => (await h.workNotes(id)).find((n) => n.includes('not implementing')),
      10_000,
      'a refusal note',
    );
    expect(note).toContain('change freeze "Year-end freeze"');
    expect((await h.change(id)).state).toBe('-2');
    expect(await h.jobsFor('web-01')).toEqual([]);
  });

  it('lets an approved emergency change through and marks it in the work note and the audit', async () => {
    const id = await h.createChange({
      type: 'emergency',
      cmdb_ci: web01,
      short_description: 'Patch web-01 now',
      start_date: utc(-60),
      end_date: utc(3600),
      state: '-2',
      approval: 'approved',
    });
    const done = await inReview(h, id);
    expect(done.close_code).toBe('successful');
    expect(await h.jobsFor('web-01')).toHaveLength(1);
    const notes = await h.workNotes(id);
    expect(notes.some((n) => n.includes('Audit: emergency change passed freeze "Year-end freeze"'))).toBe(true);
    expect(h.audit('change.gate.passed', done.number!)).toEqual([
      expect.objectContaining({
        type: 'emergency',
        marks: [expect.stringContaining('emergency change passed freeze "Year-end freeze"')],
      }),
    ]);
  });
});

describe('blackout schedules read from the instance', () => {
  let h: ChangeHarness;
  beforeAll(async () => {
    h = await startChangeHarness({ change: { blackoutSchedules: true } });
  });
  afterAll(() => h?.stop());

  it('blocks a normal change during a blackout span (cmn_schedule type blackout)', async () => {
    const schedule = (await h.snow('POST', '/api/now/table/cmn_schedule', { name: 'Black Friday', type: 'blackout' }))
      .result.sys_id as string;
    const compact = (s: string) => s.replace(/[-:]/g, '').replace(' ', 'T');
    await h.snow('POST', '/api/now/table/cmn_schedule_span', {
      schedule,
      name: 'sales weekend',
      start_date_time: compact(utc(-3600)),
      end_date_time: compact(utc(7200)),
    });
    const web02 = await h.sysId('cmdb_ci', 'name=web-02');
    const id = await h.createChange({
      type: 'normal',
      cmdb_ci: web02,
      short_description: 'Patch web-02',
      start_date: utc(-60),
      end_date: utc(3600),
      state: '-2',
      approval: 'approved',
    });
    const note = await eventually(
      async () => (await h.workNotes(id)).find((n) => n.includes('not implementing')),
      10_000,
      'a refusal note',
    );
    expect(note).toContain('change freeze "Black Friday: sales weekend"');
    expect(await h.jobsFor('web-02')).toEqual([]);
  });
});

describe('a failing plan step', () => {
  let h: ChangeHarness;
  beforeAll(async () => {
    // The shipped rule, with its patch job told to fail in the sandbox controller.
    const failing = SHIPPED_CHANGE_MAPPING.replace(
      '            change_number: "{{ ticket.number }}"\n    change:',
      '            change_number: "{{ ticket.number }}"\n            sandbox_fail: true\n    change:',
    );
    expect(failing).not.toBe(SHIPPED_CHANGE_MAPPING);
    h = await startChangeHarness({ mapping: failing });
  });
  afterAll(() => h?.stop());

  it('runs the rollback plan, closes the change unsuccessful and records the rollback outcome', async () => {
    const web01 = await h.sysId('cmdb_ci', 'name=web-01');
    const id = await h.createChange({
      type: 'normal',
      cmdb_ci: web01,
      short_description: 'Patch web-01',
      start_date: utc(-60),
      end_date: utc(3600),
      state: '-2',
      approval: 'approved',
    });
    const done = await inReview(h, id);
    expect(done.close_code).toBe('unsuccessful');
    expect(done.close_notes).toContain('Implementation step patch failed');
    expect(done.close_notes).toContain('Rollback plan succeeded: step roll_back_patch succeeded');
    const jobs = await h.jobsFor('web-01');
    expect(jobs.map((j) => [j.name, j.status])).toEqual([
      ['Patch host', 'failed'],
      ['Roll back patches', 'successful'],
    ]);
    const notes = await h.workNotes(id);
    expect(
      notes.some((n) => n.includes('step patch failed') && n.includes('Running the rollback plan (roll_back_patch)')),
    ).toBe(true);
    // Both job logs, the failed patch and the rollback, are attached to the change.
    const logs = await eventually(
      async () => {
        const found = await h.attachments('change_request', id);
        return found.length === 2 ? found : undefined;
      },
      10_000,
      'two job log attachments',
    );
    expect(logs).toEqual(
      expect.arrayContaining([
        { file_name: expect.stringMatching(/-patch\.log$/), content: expect.stringContaining('failed=1') },
        { file_name: expect.stringMatching(/-roll_back_patch\.log$/), content: expect.stringContaining('failed=0') },
      ]),
    );
  });
});
