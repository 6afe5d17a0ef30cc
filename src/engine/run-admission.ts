import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { inTransaction, type Repositories, type Store, type StoreTransaction } from '../store';
import { decideRun } from './run-state-machine';
import { stepViews } from './run-steps';
import { runContextIfReadable } from './run-context';

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

export interface RunAdmissionDeps {
  store: Store;
  repos: Pick<Repositories, 'runs' | 'runQueue'>;
  logger: Logger;
  /** engine.maxActiveRuns; undefined = no global limit. */
  maxActiveRuns?: number;
  /** When given, `snowline_runs_queued` shows how many runs wait for a slot. */
  metrics?: Pick<Metrics, 'runsQueued'>;
  now?: () => number;
}

const BATCH = 200;
/**
 * How long a queue found empty is believed without asking the store again (a round trip on
 * PostgreSQL, asked after every dispatch round and every step under a burst: session 10 in
 * docs/benchmarks.md). Runs this process queues are seen at once; an operator's re-queued run and
 * another instance's are found at most this much later, or at the next idle round.
 */
const EMPTY_QUEUE_BELIEVED_MS = 100;

/**
 * Starts queued runs when their turn comes. Each admission is one transaction that reads what is
 * active and starts what may start; on PostgreSQL it holds a transaction advisory lock, so two
 * instances admitting at once cannot both see a key free and both take it. SQLite transactions of
 * this one process are serial already.
 */
export function createRunAdmission(deps: RunAdmissionDeps) {
  const now = deps.now ?? Date.now;
  const { store, logger } = deps;
  const { runs, runQueue } = deps.repos;

  /**
   * The steps due when admitted runs start: the first stage of a new run, or, for a run an operator
   * sent on (retried, a step skipped), what its state machine says is next.
   */
  async function startSteps(trx: StoreTransaction, runIds: readonly string[], at: number): Promise<void> {
    const steps = await runs.stepsOfRuns(trx, runIds);
    const due: string[] = [];
    for (const runId of runIds) {
      const own = steps.filter((s) => s.run_id === runId);
      const { unblock } = decideRun(stepViews(own));
      due.push(...own.filter((s) => unblock.includes(s.idx) && s.state === 'blocked').map((s) => s.id));
    }
    await runs.updateSteps(trx, due, { state: 'pending', next_at: at });
  }

  /** Starts, in `trx`, the queued runs whose turn it is; returns their ids. */
  async function admitWithin(trx: StoreTransaction): Promise<string[]> {
    await runQueue.lockAdmission(trx);
    const rows = await runQueue.oldestQueued(trx, BATCH);
    if (rows.length === 0) return [];
    const queued: QueuedRun[] = rows.map((r) => ({
      id: r.id,
      ruleId: r.rule_id,
      key: r.concurrency_key,
      // A corrupt context knows no limit: the run starts, and its first step fails naming the corruption.
      maxRuns: runContextIfReadable(r)?.concurrency?.maxRuns,
    }));
    const held = await runQueue.heldSlots(trx, {
      rules: [...new Set(queued.map((r) => r.ruleId))],
      keys: [...new Set(queued.flatMap((r) => (r.key === null ? [] : [r.key])))],
      countAll: deps.maxActiveRuns !== undefined,
    });
    const ids = chooseAdmitted(queued, { ...held, total: held.total ?? 0 }, deps.maxActiveRuns);
    if (ids.length === 0) return [];
    const at = now();
    await runQueue.markStarted(trx, ids, at);
    await startSteps(trx, ids, at);
    return ids;
  }

  /** When the queue was last found empty, and this process's count of queued runs then. */
  let foundEmpty: { at: number; queuedHere: number } | undefined;

  /** Starts the queued runs that may start; returns how many did. */
  async function admit(): Promise<number> {
    // The admission is woken after every dispatch round and every step, and most rounds find
    // nothing queued. An empty queue is believed for a moment unless this process queued a run
    // meanwhile; runs another instance queued are found after it (that instance admits them too).
    const queuedHere = runs.queuedSoFar();
    if (foundEmpty && foundEmpty.queuedHere === queuedHere && now() - foundEmpty.at < EMPTY_QUEUE_BELIEVED_MS) {
      return 0;
    }
    // Answered without taking the lock.
    if (!(await runQueue.anyQueued())) {
      foundEmpty = { at: now(), queuedHere };
      deps.metrics?.runsQueued.set(0);
      return 0;
    }
    foundEmpty = undefined;
    const admitted = await inTransaction(store, admitWithin);
    if (admitted.length > 0) logger.info('queued runs started', { runs: admitted.length });
    if (deps.metrics) deps.metrics.runsQueued.set(await runQueue.countQueued());
    return admitted.length;
  }

  return { admit };
}
export type RunAdmission = ReturnType<typeof createRunAdmission>;
