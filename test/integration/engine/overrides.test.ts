import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

const MAPPING = `
table: incident
rules:
  - id: patch-and-verify
    description: Patch, then verify
    owner: Linux Ops
    risk: low
    condition: short_descriptionLIKEis down on
    steps:
      - { name: patch, use: fake.fail, with: { host: web-01 } }
      - { name: verify, use: fake.launch, with: { host: web-01 } }
    writeback:
      success: { work_note: "done" }
      failure: { work_note: "failed: {{ error }}" }
`;

describe.each(ENGINES)('manual overrides on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  async function failedRun(sysId: string) {
    const e = buildEngine(t, MAPPING);
    await e.intake.accept(incidentEvent(sysId), 'webhook');
    await e.settle(60_000);
    const run = await e.onlyRun(`INC${sysId.slice(0, 7)}`);
    expect(run.state).toBe('failed');
    return { e, run };
  }

  const auditKinds = async () =>
    (await t.repos.audit.seal(),
    await t.store.db.selectFrom('audit_log').select(['kind', 'actor']).orderBy('seq').execute()).filter(
      (a) => a.actor !== 'snowline',
    );

  it('skipping the failed step lets the run go on to the next one; who skipped it and why is kept', async () => {
    const { e, run } = await failedRun('a'.repeat(32));
    await e.control.skip(run.id, 'patch', 'fred.luddy', 'patched by hand');
    await e.settle(60_000);
    const after = await e.onlyRun('INCaaaaaaa');
    expect(after.state).toBe('succeeded');
    expect(after.steps.map((s) => [s.name, s.state, s.error])).toEqual([
      ['patch', 'skipped', 'skipped by fred.luddy: patched by hand'],
      ['verify', 'succeeded', null],
    ]);
    expect(await auditKinds()).toEqual([{ kind: 'step.skipped', actor: 'fred.luddy' }]);
  });

  it('retrying a failed step runs it again from scratch', async () => {
    const { e, run } = await failedRun('b'.repeat(32));
    Object.assign(e.backend.fail, { start: e.backend.handler.start, check: e.backend.handler.check }); // the backend is fixed
    await e.control.retryStep(run.id, 'patch', 'fred.luddy');
    await e.settle(60_000);
    const after = await e.onlyRun('INCbbbbbbb');
    expect(after.state).toBe('succeeded');
    expect(after.steps[0]).toMatchObject({ state: 'succeeded', attempt: 1 });
    await expect(e.control.retryStep(run.id, 'patch', 'fred.luddy')).rejects.toMatchObject({
      code: 'step.not_retryable',
    });
  });

  it('a paused run starts and checks nothing until it is resumed', async () => {
    const e = buildEngine(t, MAPPING.replace('use: fake.fail', 'use: fake.launch'));
    await e.intake.accept(incidentEvent('c'.repeat(32)), 'webhook');
    await e.dispatch();
    const { id } = await e.onlyRun('INCccccccc');
    await e.control.pause(id, 'fred.luddy');
    await e.settle(60 * 60_000);
    expect((await e.onlyRun('INCccccccc')).state).toBe('paused');
    expect(e.backend.jobs.size).toBe(0);
    await e.control.resume(id, 'fred.luddy');
    await e.settle(60_000);
    expect((await e.onlyRun('INCccccccc')).state).toBe('succeeded');
    expect(e.backend.jobs.size).toBe(2);
    expect(await auditKinds()).toEqual([
      { kind: 'run.paused', actor: 'fred.luddy' },
      { kind: 'run.resumed', actor: 'fred.luddy' },
    ]);
  });

  it('refuses to go on with a run its compensations rolled back', async () => {
    const e = buildEngine(
      t,
      MAPPING.replace(
        '      - { name: patch, use: fake.fail',
        '      - { name: snap, use: fake.launch, with: { host: a }, compensate: { use: fake.undo, with: { host: a } } }\n      - { name: patch, use: fake.fail',
      ),
    );
    await e.intake.accept(incidentEvent('d'.repeat(32)), 'webhook');
    await e.settle(60_000);
    const run = await e.onlyRun('INCddddddd');
    expect(run.state).toBe('failed');
    await expect(e.control.retry(run.id, 'fred.luddy')).rejects.toMatchObject({ code: 'run.compensated' });
    await expect(e.control.skip(run.id, 'patch', 'fred.luddy')).rejects.toMatchObject({ code: 'run.compensated' });
  });
});
