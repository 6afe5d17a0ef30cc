import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

const rule = (body: string) => `
table: incident
rules:
  - id: workflow
    description: A workflow
    owner: Linux Ops
    risk: low
    condition: short_descriptionLIKEis down on
${body}
`;

describe.each(ENGINES)('workflow constructs on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  it('runs parallel branches at once and moves on when all succeeded', async () => {
    const e = buildEngine(
      t,
      rule(`
    steps:
      - { name: web01, use: fake.launch, parallel: restart, with: { host: web-01 } }
      - { name: web02, use: fake.launch, parallel: restart, with: { host: web-02 } }
      - { name: verify, use: fake.launch, with: { host: lb-01 } }
    writeback:
      success: { work_note: "jobs {{ steps.web01.job }} {{ steps.web02.job }} then {{ steps.verify.job }}" }`),
    );
    await e.intake.accept(incidentEvent('a'.repeat(32)), 'webhook');
    // One round: both branches are claimed and started together, the next stage not yet.
    await e.settle(0);
    const started = [...e.backend.jobs.values()]
      .map((j) => j.host)
      .slice(0, 2)
      .sort();
    expect(started).toEqual(['web-01', 'web-02']);
    await e.settle(60_000);
    const run = await e.onlyRun('INCaaaaaaa');
    expect(run.state).toBe('succeeded');
    expect(run.steps.map((s) => [s.name, s.stage, s.state])).toEqual([
      ['web01', 0, 'succeeded'],
      ['web02', 0, 'succeeded'],
      ['verify', 1, 'succeeded'],
    ]);
    expect(e.instance.patches[0]!.fields.work_notes).toMatch(/jobs [12] [12] then 3/);
  });

  it('join first: the first branch to succeed wins, the slow one is cancelled on its backend', async () => {
    const e = buildEngine(
      t,
      rule(`
    steps:
      - { name: fast, use: fake.launch, parallel: probe, join: first, with: { host: a } }
      - { name: slow, use: fake.slow, parallel: probe, with: { host: b } }
      - { name: after, use: fake.launch, with: { host: c } }`),
    );
    await e.intake.accept(incidentEvent('b'.repeat(32)), 'webhook');
    await e.settle(60_000);
    const run = await e.onlyRun('INCbbbbbbb');
    expect(run.state).toBe('succeeded');
    expect(run.steps.map((s) => s.state)).toEqual(['succeeded', 'cancelled', 'succeeded']);
    expect(e.backend.cancelled).toEqual(['slow-2']);
  });

  it('join at least N: fails once N successes are out of reach', async () => {
    const e = buildEngine(
      t,
      rule(`
    steps:
      - { name: a, use: fake.launch, parallel: quorum, join: 2, with: { host: a } }
      - { name: b, use: fake.fail, parallel: quorum, with: { host: b } }
      - { name: c, use: fake.fail, parallel: quorum, with: { host: c } }
    writeback:
      failure: { work_note: "failed: {{ error }}" }`),
    );
    await e.intake.accept(incidentEvent('c'.repeat(32)), 'webhook');
    await e.settle(60_000);
    const run = await e.onlyRun('INCccccccc');
    expect(run.state).toBe('failed');
    expect(e.instance.patches[0]!.fields.work_notes).toMatch(/failed: deploy to [bc] failed/);
  });

  it('skips a step whose when: is false and runs one whose when: holds, on ticket fields and earlier results', async () => {
    const e = buildEngine(
      t,
      rule(`
    steps:
      - { name: restart, use: fake.launch, with: { host: web-01 } }
      - { name: page_oncall, use: fake.launch, when: "ticket.priority == '1'", with: { host: pager } }
      - { name: verify, use: fake.launch, when: "steps.restart.job > 0", with: { host: lb } }
    writeback:
      success: { work_note: "done" }`),
    );
    await e.intake.accept(incidentEvent('d'.repeat(32), { priority: '3' }), 'webhook');
    await e.settle(60_000);
    const run = await e.onlyRun('INCddddddd');
    expect(run.state).toBe('succeeded');
    expect(run.steps.map((s) => s.state)).toEqual(['succeeded', 'skipped', 'succeeded']);
    expect([...e.backend.jobs.values()].map((j) => j.host)).toEqual(['web-01', 'lb']);
  });

  it('fails a step that runs past its timeout, stops its backend job, and does not retry it', async () => {
    const e = buildEngine(
      t,
      rule(`
    steps:
      - { name: patch, use: fake.slow, timeout_seconds: 300, with: { host: web-01 } }
    writeback:
      failure: { work_note: "failed: {{ error }}" }`),
    );
    await e.intake.accept(incidentEvent('e'.repeat(32)), 'webhook');
    const startedAt = e.clock.now;
    await e.settle(30 * 60_000);
    const run = await e.onlyRun('INCeeeeeee');
    expect(run.state).toBe('failed');
    expect(run.steps[0]).toMatchObject({ state: 'failed', error: 'timed out after 300 s', attempt: 1 });
    expect(run.finished_at! - startedAt).toBeGreaterThanOrEqual(300_000);
    expect(run.finished_at! - startedAt).toBeLessThan(330_000);
    expect(e.backend.cancelled).toEqual(['slow-1']);
    expect(e.instance.patches[0]!.fields.work_notes).toMatch(/^failed: timed out after 300 s\n\[snowline-writeback:/);
  });

  it('on failure undoes the succeeded steps latest first, then escalates: reassign, raise priority, note what failed and what was tried', async () => {
    const e = buildEngine(
      t,
      rule(`
    escalation: { assignment_group: Linux Ops L2, priority: "2" }
    steps:
      - { name: snapshot, use: fake.launch, with: { host: db-01 }, compensate: { use: fake.undo, with: { host: db-01 } } }
      - { name: migrate, use: fake.launch, with: { host: db-01 }, compensate: { use: fake.undo, with: { host: db-01-schema } } }
      - { name: deploy, use: fake.fail, with: { host: app-01 }, compensate: { use: fake.undo, with: { host: never } } }
    writeback:
      failure: { work_note: "rollback done", fields: { state: "2" } }`),
    );
    await e.intake.accept(incidentEvent('f'.repeat(32)), 'webhook');
    await e.settle(60_000);
    const run = await e.onlyRun('INCfffffff');
    expect(run.state).toBe('failed');
    expect(e.backend.undone).toEqual(['undo_migrate:db-01-schema', 'undo_snapshot:db-01']);
    expect(run.steps.map((s) => [s.name, s.state])).toEqual([
      ['snapshot', 'succeeded'],
      ['migrate', 'succeeded'],
      ['deploy', 'failed'],
      ['undo_snapshot', 'succeeded'],
      ['undo_migrate', 'succeeded'],
      ['undo_deploy', 'cancelled'],
    ]);
    expect(e.instance.patches).toHaveLength(1);
    const { work_notes: note, ...fields } = e.instance.patches[0]!.fields;
    expect(fields).toEqual({ state: '2', assignment_group: 'Linux Ops L2', priority: '2' });
    expect(note).toContain('rollback done');
    expect(note).toContain(`Snowline run ${run.id} failed at step deploy (fake.fail): deploy to app-01 failed.`);
    expect(note).toContain(
      'Tried: snapshot succeeded; migrate succeeded; deploy failed; undo_snapshot succeeded; undo_migrate succeeded.',
    );
    expect(note).toContain('Escalated: reassigned to Linux Ops L2, priority raised to 2.');
  });

  it('does not compensate or escalate a run that succeeded', async () => {
    const e = buildEngine(
      t,
      rule(`
    escalation: { assignment_group: Linux Ops L2 }
    steps:
      - { name: snapshot, use: fake.launch, with: { host: db-01 }, compensate: { use: fake.undo, with: { host: db-01 } } }
    writeback:
      success: { work_note: "ok" }`),
    );
    await e.intake.accept(incidentEvent('1'.repeat(32)), 'webhook');
    await e.settle(60_000);
    const run = await e.onlyRun('INC1111111');
    expect(run.steps.map((s) => s.state)).toEqual(['succeeded', 'cancelled']);
    expect(e.backend.undone).toEqual([]);
    expect(e.instance.patches[0]!.fields.assignment_group).toBeUndefined();
  });
});
