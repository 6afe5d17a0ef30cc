import { changeManagement } from '../../../src/change/change-lifecycle';
import type { ChangeSnapshot } from '../../../src/change/change-gates';
import { combineHooks, failureHooks } from '../../../src/engine/failure-hooks';
import type { TicketEvent } from '../../../src/engine/event.schema';
import type { Gate, ServiceNowReader } from '../../../src/engine/gates';
import { createRunEventEmitter } from '../../../src/engine/run-event-emitter';
import { createMetrics, type Metrics } from '../../../src/observability/metrics';
import { formatDateTime } from '../../../src/rules/encoded-query/date-time';
import { auditDetail } from '../../../src/store/audit.repository';
import { capturingLogger } from '../../helpers/capturing-logger';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

/**
 * The audit journal, the metrics and the logs are written from one run-event stream, so for the
 * same runs they tell the same story: every event logged is counted and, when it is a decision,
 * journaled, and every journal entry of a run event was logged.
 */
const MAPPING = `
table: incident
rules:
  - id: approved-restart
    description: Restart a service that is down, once approved
    owner: Linux Ops
    risk: medium
    condition: short_descriptionLIKEis down on
    steps:
      - { name: restart, use: fake.launch, gates: [approval], with: { host: web-01 } }
    writeback:
      success:
        work_note: "restarted by job {{ steps.restart.job }}"
  - id: clean-disk
    description: Clean a full disk
    owner: Linux Ops
    risk: low
    condition: short_descriptionLIKEdisk full
    steps:
      - { name: clean, use: fake.fail, with: { host: web-02 } }
    writeback:
      failure:
        work_note: "not cleaned: {{ error }}"
`;

/**
 * A change whose plan fails (its rollback plan runs, its rule's on_failure step runs), and one whose
 * milestone check refuses its first step (the change is not implemented).
 */
const CHANGE_MAPPING = `
table: change_request
rules:
  - id: patch-host
    description: Patch a host inside an approved change
    owner: Linux Ops
    risk: medium
    condition: short_descriptionSTARTSWITHPatch
    gates: [change]
    steps:
      - name: prepare
        use: fake.launch
        requires:
          - { check: still active, record: active=true }
        with: { host: web-01 }
      - { name: patch, use: fake.fail, with: { host: web-01 } }
    change:
      rollback:
        - { name: roll_back, use: fake.undo, with: { host: web-01 } }
    on_failure:
      - { name: page, use: fake.launch, with: { host: "on call for {{ failure.step }}" } }
`;

/** The audit kind each run event is journaled as (none: counted and logged only). */
const JOURNALED_AS: Record<string, string | undefined> = {
  'run.started': 'rule.matched',
  'step.waiting': 'gate.waiting',
  'run.approved': 'run.approved',
  'step.started': undefined,
  'step.succeeded': 'step.succeeded',
  'step.failed': 'step.failed',
  'run.writing_back': 'run.writing_back',
  'writeback.delivered': undefined,
  'run.succeeded': 'run.succeeded',
  'run.failed': 'run.failed',
  'run.retried': 'run.retried',
  'run.cancelled': 'run.cancelled',
  'run.refused': 'run.refused',
  'run.writeback_failed': 'run.writeback_failed',
  'writeback.failed': undefined,
  'step.refused': 'step.refused',
  'check.passed': 'check.passed',
  'check.refused': 'check.refused',
  'run.on_failure.started': 'run.on_failure.started',
  'change.gate.passed': 'change.gate.passed',
  'change.gate.refused': 'change.gate.refused',
  'change.rollback.started': 'change.rollback.started',
  'change.closed': 'change.closed',
};

const CASE_ONE_TYPES = [
  'run.approved',
  'run.cancelled',
  'run.failed',
  'run.retried',
  'run.started',
  'run.succeeded',
  'run.writing_back',
  'step.failed',
  'step.started',
  'step.succeeded',
  'step.waiting',
  'writeback.delivered',
];

const NOW = Date.parse('2026-12-01T10:00:00Z');
const approvedChange = (number: string, cmdbCi: string): ChangeSnapshot => ({
  number,
  type: 'normal',
  state: '-2',
  approval: 'approved',
  start_date: formatDateTime(NOW - 60_000),
  end_date: formatDateTime(NOW + 3_600_000),
  requested_by: 'abel.tuter',
  cmdb_ci: cmdbCi,
});

const changeEvent = (sysId: string, number: string): TicketEvent => ({
  ...incidentEvent(sysId, { short_description: 'Patch web-01', number }),
  table: 'change_request',
  number,
});

async function counterValues(
  metrics: Metrics,
  name: string,
): Promise<{ labels: Record<string, unknown>; value: number }[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
}

async function counted(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  return (await counterValues(metrics, name))
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/** Every event logged carries its run's correlation id, is counted as often, and (a decision) is journaled as often. */
async function expectOneStory(
  t: TestStore,
  metrics: Metrics,
  lines: Record<string, unknown>[],
  runs: { id: string; correlation_id: string }[],
): Promise<Record<string, unknown>[]> {
  const events = lines.filter((line) => typeof line.event === 'string');
  const types = [...new Set(events.map((line) => String(line.event)))].sort();
  for (const type of types) expect(Object.keys(JOURNALED_AS)).toContain(type);

  // Each log line carries its run's correlation id.
  const correlationOf = new Map(runs.map((r) => [r.id, r.correlation_id]));
  for (const line of events) expect(line.correlationId).toBe(correlationOf.get(String(line.runId)));

  // Each event type is counted as often as it is logged.
  for (const type of types)
    expect(await counted(metrics, 'snowline_run_events_total', { event: type })).toBe(
      events.filter((line) => line.event === type).length,
    );

  // Each decision logged is journaled, and the journal holds no run event that was not logged.
  const journal = await t.repos.audit.list({ limit: 1000 });
  for (const [type, kind] of Object.entries(JOURNALED_AS)) {
    if (!kind) continue;
    const logged = events.filter((line) => line.event === type).map((line) => `${line.runId}/${line.step ?? ''}`);
    const entries = journal
      .filter((entry) => entry.kind === kind)
      .map((entry) => auditDetail(entry))
      .map((detail) => `${detail.runId}/${detail.step ?? ''}`);
    expect({ type, entries: entries.sort() }).toEqual({ type, entries: logged.sort() });
  }

  return events;
}

describe.each(ENGINES)('the run-event stream on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => (t = await openTestStore(engine)));
  afterEach(() => t.close());

  it('journals, counts and logs every happening of runs alike, each line with its run’s correlation id', async () => {
    const { logger, lines } = capturingLogger();
    const e = buildEngine(t, MAPPING, { logger });
    await e.intake.accept(incidentEvent('a'.repeat(32)), 'webhook');
    await e.intake.accept(incidentEvent('b'.repeat(32), { short_description: 'disk full on web-02' }), 'webhook');
    await e.intake.accept(incidentEvent('c'.repeat(32)), 'webhook');
    await e.settle(5 * 60_000);
    const approved = await e.onlyRun('INCaaaaaaa');
    const failed = await e.onlyRun('INCbbbbbbb');
    const cancelled = await e.onlyRun('INCccccccc');
    await e.control.decide(approved.id, 'approved', 'beth.anglin', 'agreed');
    await e.control.retry(failed.id, 'abel.tuter');
    await e.control.cancel(cancelled.id, 'abel.tuter');
    await e.settle(5 * 60_000);
    expect((await e.onlyRun('INCaaaaaaa')).state).toBe('succeeded');
    expect((await e.onlyRun('INCbbbbbbb')).state).toBe('failed');
    expect((await e.onlyRun('INCccccccc')).state).toBe('cancelled');

    const events = await expectOneStory(t, e.metrics, lines, [approved, failed, cancelled]);
    expect([...new Set(events.map((line) => String(line.event)))].sort()).toEqual(CASE_ONE_TYPES);

    // The metrics dashboards know agree with the stream.
    const logCount = (type: string) => events.filter((line) => line.event === type).length;
    expect(await counted(e.metrics, 'snowline_runs_started_total', {})).toBe(logCount('run.started'));
    for (const outcome of ['succeeded', 'failed', 'cancelled'])
      expect(await counted(e.metrics, 'snowline_runs_finished_total', { outcome })).toBe(logCount(`run.${outcome}`));
    expect(await counted(e.metrics, 'snowline_writebacks_total', { result: 'sent' })).toBe(
      logCount('writeback.delivered'),
    );
    expect(logCount('run.failed')).toBe(2);
  });

  it('tells change decisions, milestone checks and failure hooks the same way in journal, metrics and logs', async () => {
    const { logger, lines } = capturingLogger();
    const changes: Record<string, ChangeSnapshot> = {
      ['d'.repeat(32)]: approvedChange('CHG0000001', 'ci-web-01'),
      ['e'.repeat(32)]: approvedChange('CHG0000002', 'ci-web-02'),
    };
    // The second change was closed by the time its first step's milestone check reads it.
    const reader: ServiceNowReader = {
      getRecord: async (_table, sysId) => ({ active: String(sysId === 'd'.repeat(32)) }),
      query: async () => [],
    };
    const metrics = createMetrics();
    const events = createRunEventEmitter({ store: t.store, repos: t.repos, logger, metrics });
    const change = changeManagement({
      store: t.store,
      repos: t.repos,
      source: {
        change: async (sysId) => changes[sysId]!,
        approvals: async () => [],
        blackouts: async () => [],
        ensureTask: async () => 'task',
      },
      freezes: [],
      blackoutSchedules: false,
      recheckMs: 30_000,
      events,
    });
    const hooks = combineHooks(change.hooks, failureHooks({ repos: t.repos, defaultSteps: [] }));
    const e = buildEngine(t, CHANGE_MAPPING, {
      logger,
      metrics,
      gates: [change.gate],
      hooks,
      servicenow: reader,
      start: NOW,
    });
    await e.intake.accept(changeEvent('d'.repeat(32), 'CHG0000001'), 'webhook');
    await e.intake.accept(changeEvent('e'.repeat(32), 'CHG0000002'), 'webhook');
    await e.settle(5 * 60_000);

    const runs = await t.repos.runs.list({ limit: 10 });
    const states = runs.map(
      (r) => `${r.ticket_number} ${r.event_key.replace(/^.*:(rollback|on_failure):.*$/, '$1')} ${r.state}`,
    );
    expect(states.sort()).toEqual([
      expect.stringMatching(/^CHG0000001 .* failed$/),
      'CHG0000001 on_failure succeeded',
      // The test instance takes no attachments: the rollback's job log cannot reach the change.
      'CHG0000001 rollback writeback_failed',
      expect.stringMatching(/^CHG0000002 .* refused$/),
    ]);
    const seen = await expectOneStory(t, e.metrics, lines, runs);
    const types = new Set(seen.map((line) => String(line.event)));
    for (const type of [
      'change.gate.passed',
      'check.passed',
      'check.refused',
      'change.gate.refused',
      'change.rollback.started',
      'change.closed',
      'run.on_failure.started',
    ])
      expect(types).toContain(type);
  });

  it('neither journals, counts nor logs a decision that was not recorded (a worker that lost its lease)', async () => {
    const { logger, lines } = capturingLogger();
    // The gate refuses the step, but by then another instance has taken the step over.
    const takenOver: Gate = {
      name: 'change_window',
      description: 'refuses after the step was taken over',
      async check(ctx) {
        await t.store.db.updateTable('steps').set({ lease_owner: 'w2' }).where('run_id', '=', ctx.run.id).execute();
        return { verdict: 'refuse', reason: 'outside the change window' };
      },
    };
    const gated = MAPPING.replace('gates: [approval]', 'gates: [change_window]');
    const e = buildEngine(t, gated, { logger, gates: [takenOver] });
    await e.intake.accept(incidentEvent('d'.repeat(32)), 'webhook');
    await e.settle(1_000);
    const run = await e.onlyRun('INCddddddd');
    expect(run.steps[0]).toMatchObject({ state: 'pending', lease_owner: 'w2' });
    expect(lines.filter((line) => line.runId === run.id).map((line) => line.message)).toEqual(['run started']);
    expect(await counted(e.metrics, 'snowline_run_events_total', { event: 'step.refused' })).toBe(0);
    expect(await counted(e.metrics, 'snowline_step_duration_seconds', {})).toBe(0);
    const journal = await t.repos.audit.list({ limit: 100 });
    expect(journal.map((entry) => entry.kind)).toEqual(['rule.matched']);
  });
});
