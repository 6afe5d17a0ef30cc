import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Repositories, Store } from '../store';
import { createRunEventEmitter } from './run-event-emitter';
import { runRefOf } from './run-events';
import { writebackOutcome } from './run-state-machine';

/** How often runs left `writing_back` (an instance died between a delivery and this check) are looked at. */
const SWEEP_EVERY_MS = 10_000;

/**
 * Ends runs whose steps succeeded once their write-backs have settled: `succeeded` when every one
 * reached the ticket, `writeback_failed` when one failed for good (counted in
 * `snowline_runs_finished_total{outcome="writeback_failed"}` and listed by `GET /api/v1/runs?state=`).
 * Checked after each delivery, once the delivery is committed (two instances delivering the last
 * two write-backs of one run each see the other's), and by a sweep, so a crash between the two
 * leaves no run writing back for ever.
 */
export function createWritebackCompletion(deps: {
  store: Store;
  repos: Repositories;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const { repos } = deps;
  const events = createRunEventEmitter(deps);
  let lastSweep = 0;

  /** Ends the run if it is writing back and nothing of its write-back is left in flight. */
  async function complete(runId: string): Promise<void> {
    await events.inTransaction(async (trx, emit) => {
      const run = await repos.runs.writingBack(trx, runId);
      if (!run) return;
      const entries = await repos.outbox.ofRun(trx, runId);
      const state = writebackOutcome(entries);
      if (state === 'writing_back') return;
      const at = now();
      if (!(await repos.runs.finishWritingBack(trx, runId, state, at))) return;
      const error = entries.find((e) => e.state === 'failed')?.last_error ?? undefined;
      await emit({ type: `run.${state}`, run: runRefOf(run), at, ...(error ? { error } : {}) });
    });
  }

  return {
    complete,
    /** Every so often: ends runs writing back whose write-backs all settled (see above). */
    async sweep(): Promise<void> {
      if (now() - lastSweep < SWEEP_EVERY_MS) return;
      lastSweep = now();
      for (const runId of await repos.runs.oldestWritingBack(100)) await complete(runId);
    },
  };
}
export type WritebackCompletion = ReturnType<typeof createWritebackCompletion>;
