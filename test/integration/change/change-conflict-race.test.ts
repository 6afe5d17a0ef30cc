import { changeManagement, type ChangeManagement } from '../../../src/change/change-lifecycle';
import type { ChangeSnapshot } from '../../../src/change/change-gates';
import type { ChangeSource } from '../../../src/change/change-source';
import { createRunEventEmitter } from '../../../src/engine/run-event-emitter';
import { buildSteps } from '../../../src/engine/run-steps';
import type { GateVerdict, ServiceNowReader } from '../../../src/engine/gates';
import type { RunContext } from '../../../src/engine/run-context';
import { changePlanSchema, stepSchema } from '../../../src/rules/mapping.schema';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { formatDateTime } from '../../../src/rules/encoded-query/date-time';
import { openStore, repositories, type Repositories, type Store } from '../../../src/store';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

// Two approved changes on the same CI with overlapping windows, whose first steps are checked at the
// same instant (two workers of one instance, or two instances sharing PostgreSQL): only one may start.

const NOW = Date.parse('2026-12-01T10:00:00Z');
const changes: Record<string, ChangeSnapshot> = {
  'sys-a': {
    number: 'CHG0030001',
    type: 'normal',
    state: '-2',
    approval: 'approved',
    start_date: formatDateTime(NOW - 60_000),
    end_date: formatDateTime(NOW + 3_600_000),
    requested_by: 'u1',
    cmdb_ci: 'ci-web-01',
  },
  'sys-b': {
    number: 'CHG0030002',
    type: 'normal',
    state: '-2',
    approval: 'approved',
    start_date: formatDateTime(NOW - 120_000),
    end_date: formatDateTime(NOW + 1_800_000),
    requested_by: 'u2',
    cmdb_ci: 'ci-web-01',
  },
};

const source: ChangeSource = {
  change: async (sysId) => changes[sysId]!,
  approvals: async () => [],
  blackouts: async () => [],
  ensureTask: async () => 'task',
};
const unusedReader = {} as ServiceNowReader;

function lifecycle(store: Store, repos: Repositories): ChangeManagement {
  const events = createRunEventEmitter({ store, repos, logger: silentLogger(), metrics: createMetrics() });
  return changeManagement({ store, repos, source, freezes: [], blackoutSchedules: false, recheckMs: 30_000, events });
}

/** A change run as the dispatcher creates it, its first step not started. */
async function startRun(repos: Repositories, store: Store, runId: string, sysId: string): Promise<RunContext> {
  const ticket = changes[sysId]!;
  const context: RunContext = {
    ticket: { ...ticket },
    params: {},
    rule: { id: 'patch-linux-host', description: 'd', owner: 'o', risk: 'medium', version: 'v1' },
    writeback: {},
    change: { plan: changePlanSchema.parse({}) },
  };
  const steps = buildSteps(
    { steps: [stepSchema.parse({ name: 'patch', use: 'ansible.launch_job_template' })], gates: ['change'] },
    runId,
    NOW,
  );
  await store.db.transaction().execute((trx) =>
    repos.runs.create(
      trx,
      {
        id: runId,
        rule_id: 'patch-linux-host',
        rule_version: 'v1',
        table_name: 'change_request',
        sys_id: sysId,
        ticket_number: ticket.number,
        event_key: `change_request:${sysId}:0`,
        state: 'running',
        context: JSON.stringify(context),
        correlation_id: runId,
        created_at: NOW,
        updated_at: NOW,
        finished_at: null,
        concurrency_key: null,
      },
      steps,
    ),
  );
  return context;
}

function checkFirstStep(
  change: ChangeManagement,
  runId: string,
  sysId: string,
  context: RunContext,
): Promise<GateVerdict> {
  return change.gate.check({
    run: {
      id: runId,
      ruleId: 'patch-linux-host',
      ruleVersion: 'v1',
      table: 'change_request',
      sysId,
      ticketNumber: changes[sysId]!.number,
    },
    step: { name: 'patch', idx: 0, use: 'ansible.launch_job_template' },
    context,
    results: {},
    servicenow: unusedReader,
    now: NOW,
  });
}

describe.each(ENGINES)('two changes on one CI checked at the same instant on %s', (engine) => {
  let t: TestStore;
  let second: Store;
  beforeEach(async () => {
    t = await openTestStore(engine);
    // SQLite is one process (one handle); on PostgreSQL the second checker is another instance.
    second = engine === 'postgres' ? await openStore(t.options) : t.store;
  });
  afterEach(async () => {
    if (second !== t.store) await second.close();
    await t.close();
  });

  it('lets exactly one start; the other waits, naming the change that holds the CI', async () => {
    const secondRepos = repositories(second);
    const [ctxA, ctxB] = [
      await startRun(t.repos, t.store, 'run-a', 'sys-a'),
      await startRun(t.repos, t.store, 'run-b', 'sys-b'),
    ];
    for (let round = 0; round < 5; round++) {
      const verdicts = await Promise.all([
        checkFirstStep(lifecycle(t.store, t.repos), 'run-a', 'sys-a', ctxA),
        checkFirstStep(lifecycle(second, secondRepos), 'run-b', 'sys-b', ctxB),
      ]);
      const passed = verdicts.filter((v) => v.verdict === 'pass');
      expect(passed).toHaveLength(1);
      const waiting = verdicts.find((v) => v.verdict === 'wait');
      const holder = verdicts[0]!.verdict === 'pass' ? 'CHG0030001' : 'CHG0030002';
      expect(waiting).toMatchObject({
        verdict: 'wait',
        reason: `waiting for ${holder}, running on the same configuration item`,
      });
      // Race again from scratch.
      await t.store.db.deleteFrom('change_claims').execute();
    }
  });

  it('hands the CI over once the holding run has ended (even one cancelled without releasing it)', async () => {
    const [ctxA, ctxB] = [
      await startRun(t.repos, t.store, 'run-a', 'sys-a'),
      await startRun(t.repos, t.store, 'run-b', 'sys-b'),
    ];
    const change = lifecycle(t.store, t.repos);
    expect(await checkFirstStep(change, 'run-a', 'sys-a', ctxA)).toEqual({ verdict: 'pass' });
    expect(await checkFirstStep(change, 'run-b', 'sys-b', ctxB)).toMatchObject({ verdict: 'wait' });
    await t.store.db.updateTable('runs').set({ state: 'cancelled' }).where('id', '=', 'run-a').execute();
    expect(await checkFirstStep(change, 'run-b', 'sys-b', ctxB)).toEqual({ verdict: 'pass' });
    expect(await t.store.db.selectFrom('change_claims').selectAll().execute()).toEqual([
      expect.objectContaining({ cmdb_ci: 'ci-web-01', run_id: 'run-b' }),
    ]);
  });
});
