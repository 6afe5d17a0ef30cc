import { createDispatcher } from '../../../src/engine/dispatcher';
import { createRunAdmission } from '../../../src/engine/run-admission';
import { createIntake } from '../../../src/ingest/intake';
import type { TicketEvent } from '../../../src/engine/event.schema';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { openStore, repositories } from '../../../src/store';
import { capturingStatements } from '../../helpers/captured-statements';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

const rule = (id: string, use: string, concurrency = '') => `
  - id: ${id}
    description: Remediate
    owner: Linux Ops
    risk: low
    condition: short_descriptionLIKEis down on
    ${concurrency}
    steps:
      - { name: remediate, use: ${use}, with: { host: "{{ ticket.cmdb_ci }}" } }
`;
const mapping = (...rules: string[]) => `table: incident\nrules:${rules.join('')}`;

const onCi = (n: number, ci: string) => incidentEvent(String(n).repeat(32).slice(0, 32), { cmdb_ci: ci });

describe.each(ENGINES)('concurrency keys and limits on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  const runsByState = async () => {
    const runs = await t.repos.runs.list({ limit: 100 });
    return runs.map((r) => r.state).sort();
  };

  it('runs remediations on one CI one at a time, of any rule, while another CI goes ahead', async () => {
    const key = 'concurrency: { key: "ci:{{ ticket.cmdb_ci }}" }';
    const e = buildEngine(t, mapping(rule('restart-web', 'fake.launch', key), rule('clear-cache', 'fake.launch', key)));
    await e.intake.accept(onCi(1, 'web-01'), 'webhook');
    await e.intake.accept(onCi(2, 'web-01'), 'webhook');
    await e.intake.accept(onCi(3, 'db-01'), 'webhook');
    await e.dispatch();
    // Six runs (two rules × three tickets): one per CI runs, the other web-01 and db-01 runs wait.
    expect(await runsByState()).toEqual(['queued', 'queued', 'queued', 'queued', 'running', 'running']);

    await e.settle();
    const runs = await t.repos.runs.list({ limit: 100 });
    expect(runs.map((r) => r.state)).toEqual(Array(6).fill('succeeded'));
    // Never two at once on one CI: each run's step started after the previous run on that CI ended.
    for (const ci of ['web-01', 'db-01']) {
      const onThisCi = runs
        .filter((r) => r.concurrency_key === `ci:${ci}`)
        .sort((a, b) => a.steps[0]!.started_at! - b.steps[0]!.started_at!);
      for (let i = 1; i < onThisCi.length; i++)
        expect(onThisCi[i]!.steps[0]!.started_at!).toBeGreaterThanOrEqual(onThisCi[i - 1]!.finished_at!);
    }
    expect(e.backend.jobs.size).toBe(6);
  });

  it('a key that renders empty holds nothing back', async () => {
    const e = buildEngine(t, mapping(rule('restart-web', 'fake.slow', 'concurrency: { key: "{{ ticket.cmdb_ci }}" }')));
    await e.intake.accept(onCi(1, ''), 'webhook');
    await e.intake.accept(onCi(2, ''), 'webhook');
    await e.dispatch();
    expect(await runsByState()).toEqual(['running', 'running']);
  });

  it('keeps at most max_runs runs of a rule active; the next starts when one ends, cancelled or not', async () => {
    const e = buildEngine(t, mapping(rule('patch-hosts', 'fake.slow', 'concurrency: { max_runs: 2 }')));
    for (const n of [1, 2, 3]) await e.intake.accept(onCi(n, `web-0${n}`), 'webhook');
    await e.settle(60_000);
    expect(await runsByState()).toEqual(['queued', 'running', 'running']);
    expect(await e.metrics.registry.getSingleMetricAsString('snowline_runs_queued')).toMatch(
      /snowline_runs_queued 1$/m,
    );

    const running = (await t.repos.runs.list({ limit: 10 })).find((r) => r.state === 'running')!;
    await e.control.cancel(running.id, 'ops@example.com');
    await e.settle(60_000);
    expect(await runsByState()).toEqual(['cancelled', 'running', 'running']);
    expect(await e.metrics.registry.getSingleMetricAsString('snowline_runs_queued')).toMatch(
      /snowline_runs_queued 0$/m,
    );
    expect(e.backend.jobs.size).toBe(3);
  });

  it('sends a retried run back through the admission: it waits queued while another run holds its key, then starts', async () => {
    const key = 'concurrency: { key: "ci:{{ ticket.cmdb_ci }}" }';
    const crashed = rule('restart-web', 'fake.fail', key).replace('is down on', 'crashed on');
    const e = buildEngine(t, mapping(crashed, rule('patch-web', 'fake.slow', key)));
    // First a run that fails on web-01, then one that holds web-01's key.
    await e.intake.accept(
      incidentEvent('1'.repeat(32), { cmdb_ci: 'web-01', short_description: 'nginx crashed on web-01' }),
      'webhook',
    );
    await e.settle(60_000);
    await e.intake.accept(onCi(2, 'web-01'), 'webhook');
    await e.settle(60_000);
    const runs = await t.repos.runs.list({ limit: 10 });
    const failed = runs.find((r) => r.rule_id === 'restart-web')!;
    const holder = runs.find((r) => r.rule_id === 'patch-web')!;
    expect([failed.state, holder.state]).toEqual(['failed', 'running']);
    expect((await e.control.retry(failed.id, 'ops@example.com')).state).toBe('queued');
    await e.admission.admit();
    const waiting = (await t.repos.runs.get(failed.id))!;
    expect(waiting.state).toBe('queued');
    // Nothing of it is due while it waits: its failed step waits blocked for the admission.
    expect(waiting.steps.map((s) => s.state)).toEqual(['blocked']);

    await e.control.cancel(holder.id, 'ops@example.com');
    await e.admission.admit();
    const started = (await t.repos.runs.get(failed.id))!;
    expect(started.state).toBe('running');
    expect(started.steps.map((s) => s.state)).toEqual(['pending']);
  });

  it("rechecks max_runs when a failed run is retried: it waits while its rule's slots are taken", async () => {
    const e = buildEngine(t, mapping(rule('patch-hosts', 'fake.slow', 'concurrency: { max_runs: 1 }')));
    await e.intake.accept(onCi(1, 'web-01'), 'webhook');
    await e.settle(60_000);
    const first = (await t.repos.runs.list({ limit: 10 }))[0]!;
    // The first run fails (its job is cancelled by hand in the controller, say), a second one takes the slot.
    await t.store.db
      .updateTable('steps')
      .set({ state: 'failed', error: 'job 1 failed', lease_owner: null })
      .where('run_id', '=', first.id)
      .execute();
    await t.store.db.updateTable('runs').set({ state: 'failed' }).where('id', '=', first.id).execute();
    await e.intake.accept(onCi(2, 'web-02'), 'webhook');
    await e.settle(60_000);
    expect(await runsByState()).toEqual(['failed', 'running']);

    await e.control.retry(first.id, 'ops@example.com');
    await e.settle(60_000);
    expect(await runsByState()).toEqual(['queued', 'running']);
    expect(e.backend.jobs.size).toBe(2);
  });

  it('a queued run can be cancelled: it never starts', async () => {
    const e = buildEngine(t, mapping(rule('patch-hosts', 'fake.slow', 'concurrency: { max_runs: 1 }')));
    await e.intake.accept(onCi(1, 'web-01'), 'webhook');
    await e.intake.accept(onCi(2, 'web-02'), 'webhook');
    await e.dispatch();
    const queued = (await t.repos.runs.list({ limit: 10 })).find((r) => r.state === 'queued')!;
    await e.control.cancel(queued.id, 'ops@example.com');
    await e.settle(60_000);
    expect(await runsByState()).toEqual(['cancelled', 'running']);
    expect(e.backend.jobs.size).toBe(1);
  });

  it('holds every run to the global limit of active runs (engine.maxActiveRuns)', async () => {
    const e = buildEngine(t, mapping(rule('restart-web', 'fake.slow'), rule('clear-cache', 'fake.slow')), {
      maxActiveRuns: 3,
    });
    await e.intake.accept(onCi(1, 'web-01'), 'webhook');
    await e.intake.accept(onCi(2, 'web-02'), 'webhook');
    await e.settle(60_000);
    expect(await runsByState()).toEqual(['queued', 'running', 'running', 'running']);
  });

  it('asks the store once whether runs wait through a burst of rounds, and still starts a run queued here at once', async () => {
    const e = buildEngine(t, mapping(rule('restart-web', 'fake.slow', 'concurrency: { key: "{{ ticket.cmdb_ci }}" }')));
    const { db, statements } = capturingStatements(t.store.db);
    const store = { ...t.store, db };
    const repos = repositories(store);
    const admission = createRunAdmission({ store, repos, logger: silentLogger() });
    const asked = () =>
      statements.filter((s) => s.sql.includes('"state" = ?') || s.sql.includes('"state" = $1')).length;

    for (let round = 0; round < 20; round++) expect(await admission.admit()).toBe(0);
    expect(asked()).toBe(1);

    const dispatcher = createDispatcher({
      store,
      repos,
      rules: () => e.ruleSet,
      integrationUser: 'snowline',
      logger: silentLogger(),
      metrics: createMetrics(),
    });
    await e.intake.accept(onCi(1, 'web-01'), 'webhook');
    for (const ev of await t.repos.inbox.pending(10)) await dispatcher.dispatch(ev);
    expect(await admission.admit()).toBe(1);
    expect(await runsByState()).toEqual(['running']);
  });

  // SQLite serves one process: there, the two admissions share its store; on PostgreSQL each has its own pool.
  it('two admissions at once (two instances on PostgreSQL) still start one run per key', async () => {
    const e = buildEngine(t, mapping(rule('restart-web', 'fake.slow', 'concurrency: { key: "{{ ticket.cmdb_ci }}" }')));
    for (const n of [1, 2, 3, 4, 5, 6]) await e.intake.accept(onCi(n, 'web-01'), 'webhook');
    const dispatcher = createDispatcher({
      store: t.store,
      repos: t.repos,
      rules: () => e.ruleSet,
      integrationUser: 'snowline',
      logger: silentLogger(),
      metrics: createMetrics(),
    });
    for (const ev of await t.repos.inbox.pending(100)) await dispatcher.dispatch(ev);
    const other = engine === 'postgres' ? await openStore(t.options) : undefined;
    try {
      const here = createRunAdmission({ store: t.store, repos: t.repos, logger: silentLogger() });
      const thereStore = other ?? t.store;
      const there = createRunAdmission({ store: thereStore, repos: repositories(thereStore), logger: silentLogger() });
      const started = await Promise.all([here.admit(), there.admit(), here.admit(), there.admit()]);
      expect(started.reduce((a, b) => a + b, 0)).toBe(1);
      expect(await runsByState()).toEqual(['queued', 'queued', 'queued', 'queued', 'queued', 'running']);
    } finally {
      await other?.close();
    }
  });
});

describe.each(ENGINES)('per-ticket ordering of events on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  const version = (sysId: string, modCount: number): TicketEvent => ({
    ...incidentEvent(sysId),
    event: modCount === 0 ? 'inserted' : 'updated',
    sys_mod_count: modCount,
  });

  it('hands out one event per ticket at a time, in sys_mod_count order, to one instance at a time', async () => {
    const intake = createIntake({ inbox: t.repos.inbox, metrics: createMetrics(), onAccepted: () => undefined });
    const [x, y] = ['x'.repeat(32), 'y'.repeat(32)];
    // The poller saw version 2 before the webhook of version 1 arrived.
    await intake.accept(version(x, 2), 'poll');
    await intake.accept(version(x, 1), 'webhook');
    await intake.accept(version(y, 0), 'webhook');

    const first = await t.repos.inbox.claimPending('a', 1000, 30_000, 10);
    expect(first.map((e) => [e.sys_id, e.mod_count])).toEqual([
      [x, 1],
      [y, 0],
    ]);
    // Another instance gets nothing: ticket x's older version is still being dispatched.
    expect(await t.repos.inbox.claimPending('b', 1000, 30_000, 10)).toEqual([]);

    await t.repos.inbox.settle(first[0]!.seq, 'done', null, 1001);
    const next = await t.repos.inbox.claimPending('b', 1001, 30_000, 10);
    expect(next.map((e) => [e.sys_id, e.mod_count])).toEqual([[x, 2]]);
  });

  it('lets another instance take a ticket whose dispatcher died once its claim expires', async () => {
    const intake = createIntake({ inbox: t.repos.inbox, metrics: createMetrics(), onAccepted: () => undefined });
    await intake.accept(version('z'.repeat(32), 0), 'webhook');
    expect(await t.repos.inbox.claimPending('a', 1000, 30_000, 10)).toHaveLength(1);
    expect(await t.repos.inbox.claimPending('b', 30_999, 30_000, 10)).toEqual([]);
    expect(await t.repos.inbox.claimPending('b', 31_001, 30_000, 10)).toHaveLength(1);
  });

  it('a dispatcher slower than its claim neither acts on the event a second time nor rejects it', async () => {
    const e = buildEngine(t, mapping(rule('restart-web', 'fake.launch')));
    const dispatcherOf = () =>
      createDispatcher({
        store: t.store,
        repos: t.repos,
        rules: () => e.ruleSet,
        integrationUser: 'snowline',
        logger: silentLogger(),
        metrics: createMetrics(),
      });
    await e.intake.accept(onCi(1, 'web-01'), 'webhook');
    const [slow] = await t.repos.inbox.claimPending('a', 1000, 3000, 10);
    // Instance a stalls past its claim; b takes the event and dispatches it.
    const [taken] = await t.repos.inbox.claimPending('b', 5000, 3000, 10);
    await dispatcherOf().dispatchAll([taken!]);
    // a wakes up and dispatches what it had claimed.
    await dispatcherOf().dispatchAll([slow!]);

    expect((await t.repos.runs.list({ limit: 10 })).map((r) => r.rule_id)).toEqual(['restart-web']);
    const [event] = await t.repos.inbox.list({ limit: 10 });
    expect(event).toMatchObject({ status: 'done', note: 'runs: 1' });
    expect(await t.store.db.selectFrom('outbox').selectAll().execute()).toEqual([]);
  });

  it('a dispatcher whose claim was taken while it worked leaves the event to the instance that took it', async () => {
    const e = buildEngine(t, mapping(rule('restart-web', 'fake.launch')));
    const dispatcher = createDispatcher({
      store: t.store,
      repos: t.repos,
      rules: () => e.ruleSet,
      integrationUser: 'snowline',
      logger: silentLogger(),
      metrics: createMetrics(),
    });
    await e.intake.accept(onCi(1, 'web-01'), 'webhook');
    const [slow] = await t.repos.inbox.claimPending('a', 1000, 3000, 10);
    const [taken] = await t.repos.inbox.claimPending('b', 5000, 3000, 10);
    await dispatcher.dispatchAll([slow!]);

    expect(await t.repos.runs.list({ limit: 10 })).toEqual([]);
    expect(await t.repos.inbox.get(taken!.seq)).toMatchObject({ status: 'pending', lease_owner: 'b' });
    await dispatcher.dispatchAll([taken!]);
    expect((await t.repos.runs.list({ limit: 10 })).map((r) => r.rule_id)).toEqual(['restart-web']);
  });
});
