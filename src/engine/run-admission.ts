import { sql } from 'kysely';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Db, Store } from '../store';
import { decideRun } from './run-state-machine';
import { stepViews } from './run-steps';
import type { RunContext } from './run-context';

/** A run waiting in state `queued`, as the admission sees it. */
export interface QueuedRun {
  id: string;
  ruleId: string;
  /** Rendered concurrency key; null = none. */
  key: string | null;
  /** Its rule's `concurrency.max_runs`, pinned with the run. */
  maxRuns?: number;
}

/** What is active now (running or paused) on every instance. */
export interface ActiveRuns {
  total: number;
  byRule: ReadonlyMap<string, number>;
  keys: ReadonlySet<string>;
}

/** States that hold a concurrency slot: a paused run has not let go of what it works on. */
export const SLOT_HOLDING_RUN_STATES = ['running', 'paused'] as const;

/**
 * Which queued runs start now, oldest first: a run starts when no active run has its key, its rule
 * is under its max_runs, and the fleet is under the global limit. A run held back does not hold
 * back younger runs that are free to go (no head-of-line blocking), but a younger run never
 * overtakes an older one with the same key or rule.
 */
export function chooseAdmitted(queued: readonly QueuedRun[], active: ActiveRuns, maxActiveRuns?: number): string[] {
  const keys = new Set(active.keys);
  const byRule = new Map(active.byRule);
  const blockedRules = new Set<string>();
  let total = active.total;
  const admitted: string[] = [];
  for (const run of queued) {
    if (maxActiveRuns !== undefined && total >= maxActiveRuns) break;
    const ruleCount = byRule.get(run.ruleId) ?? 0;
    const ruleFull = run.maxRuns !== undefined && ruleCount >= run.maxRuns;
    const keyBusy = run.key !== null && keys.has(run.key);
    if (ruleFull || keyBusy || blockedRules.has(run.ruleId)) {
      // Later runs of a full rule wait behind this one; a busy key is taken by the key set already.
      if (ruleFull) blockedRules.add(run.ruleId);
      if (run.key !== null) keys.add(run.key);
      continue;
    }
    admitted.push(run.id);
    total += 1;
    byRule.set(run.ruleId, ruleCount + 1);
    if (run.key !== null) keys.add(run.key);
  }
  return admitted;
}

/**
 * The steps due when admitted runs start: the first stage of a new run, or, for a run an operator
 * sent on (retried, a step skipped), what its state machine says is next.
 */
async function startSteps(trx: Db, runIds: readonly string[], at: number): Promise<void> {
  const steps = await trx.selectFrom('steps').selectAll().where('run_id', 'in', runIds).execute();
  const due: string[] = [];
  for (const runId of runIds) {
    const own = steps.filter((s) => s.run_id === runId);
    const { unblock } = decideRun(stepViews(own));
    due.push(...own.filter((s) => unblock.includes(s.idx) && s.state === 'blocked').map((s) => s.id));
  }
  if (due.length > 0)
    await trx.updateTable('steps').set({ state: 'pending', next_at: at }).where('id', 'in', due).execute();
}

export interface RunAdmissionDeps {
  store: Store;
  logger: Logger;
  /** engine.maxActiveRuns; undefined = no global limit. */
  maxActiveRuns?: number;
  /** When given, `snowline_runs_queued` shows how many runs wait for a slot. */
  metrics?: Pick<Metrics, 'runsQueued'>;
  now?: () => number;
}

/** Second key of the admission's transaction lock is the schema's hash, as for the leader lock. */
const ADMISSION_LOCK_CLASS = 0x41646d74; // "Admt"
const BATCH = 200;

/**
 * Starts queued runs when their turn comes. Each admission is one transaction that reads what is
 * active and starts what may start; on PostgreSQL it holds a transaction advisory lock, so two
 * instances admitting at once cannot both see a key free and both take it. SQLite transactions of
 * this one process are serial already.
 */
export function createRunAdmission(deps: RunAdmissionDeps) {
  const now = deps.now ?? Date.now;
  const { store, logger } = deps;

  /** Starts the queued runs that may start; returns how many did. */
  async function admit(): Promise<number> {
    // Most rounds find nothing queued: answer that without taking the lock.
    const anyQueued = await store.db
      .selectFrom('runs')
      .select('id')
      .where('state', '=', 'queued')
      .limit(1)
      .executeTakeFirst();
    if (!anyQueued) {
      deps.metrics?.runsQueued.set(0);
      return 0;
    }
    const admitted = await store.db.transaction().execute(async (trx) => {
      if (store.dialect === 'postgres')
        await sql`SELECT pg_advisory_xact_lock(${ADMISSION_LOCK_CLASS}, hashtext(current_schema()))`.execute(trx);
      const rows = await trx
        .selectFrom('runs')
        .select(['id', 'rule_id', 'concurrency_key', 'context'])
        .where('state', '=', 'queued')
        .orderBy('created_at')
        .orderBy('id')
        .limit(BATCH)
        .execute();
      if (rows.length === 0) return [];
      const queued: QueuedRun[] = rows.map((r) => ({
        id: r.id,
        ruleId: r.rule_id,
        key: r.concurrency_key,
        maxRuns: (JSON.parse(r.context) as RunContext).concurrency?.maxRuns,
      }));
      const holding = trx.selectFrom('runs').where('state', 'in', [...SLOT_HOLDING_RUN_STATES]);
      const keys = [...new Set(queued.flatMap((r) => (r.key === null ? [] : [r.key])))];
      const rules = [...new Set(queued.map((r) => r.ruleId))];
      const total =
        deps.maxActiveRuns === undefined
          ? undefined
          : await holding.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
      const byRule = await holding
        .select(['rule_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('rule_id', 'in', rules)
        .groupBy('rule_id')
        .execute();
      const busyKeys =
        keys.length === 0
          ? []
          : await holding.select('concurrency_key').distinct().where('concurrency_key', 'in', keys).execute();
      const active: ActiveRuns = {
        total: Number(total?.n ?? 0),
        byRule: new Map(byRule.map((r) => [r.rule_id, Number(r.n)])),
        keys: new Set(busyKeys.map((r) => r.concurrency_key!)),
      };
      const ids = chooseAdmitted(queued, active, deps.maxActiveRuns);
      if (ids.length === 0) return [];
      const at = now();
      await trx
        .updateTable('runs')
        .set({ state: 'running', updated_at: at })
        .where('id', 'in', ids)
        .where('state', '=', 'queued')
        .execute();
      await startSteps(trx, ids, at);
      return ids;
    });
    if (admitted.length > 0) logger.info('queued runs started', { runs: admitted.length });
    if (deps.metrics) {
      const left = await store.db
        .selectFrom('runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', '=', 'queued')
        .executeTakeFirst();
      deps.metrics.runsQueued.set(Number(left?.n ?? 0));
    }
    return admitted.length;
  }

  return { admit };
}
export type RunAdmission = ReturnType<typeof createRunAdmission>;
