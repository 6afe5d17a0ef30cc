import { ConflictError, NotFoundError } from '../errors';
import type { Repositories, Store } from '../store';
import type { RunWithSteps } from '../store/run.repository';

/**
 * Manual overrides by people, each audited with who did it: retry a failed run from its failed
 * step, cancel a run that has not finished.
 */
export function createRunControl(deps: { store: Store; repos: Repositories; onChange: () => void; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const { store, repos } = deps;

  async function load(runId: string): Promise<RunWithSteps> {
    const run = await repos.runs.get(runId);
    if (!run) throw new NotFoundError('run', runId);
    return run;
  }

  return {
    async retry(runId: string, actor: string): Promise<RunWithSteps> {
      const run = await load(runId);
      if (run.state !== 'failed') throw new ConflictError('run.not_retryable', `run ${runId} is ${run.state}; only failed runs can be retried`, { state: run.state });
      const at = now();
      await store.db.transaction().execute(async (trx) => {
        const failed = run.steps.filter((s) => s.state === 'failed').map((s) => s.id);
        const cancelled = run.steps.filter((s) => s.state === 'cancelled').map((s) => s.id);
        await repos.runs.updateSteps(trx, failed, { state: 'pending', attempt: 0, error: null, next_at: at, external_ref: null, finished_at: null });
        await repos.runs.updateSteps(trx, cancelled, { state: 'blocked', finished_at: null });
        await repos.runs.setRunState(trx, runId, 'running', at, false);
        await repos.audit.append(trx, { kind: 'run.retried', actor, subject: run.ticket_number, detail: { runId } }, at);
      });
      deps.onChange();
      return load(runId);
    },

    async cancel(runId: string, actor: string): Promise<RunWithSteps> {
      const run = await load(runId);
      if (run.state !== 'running') throw new ConflictError('run.not_cancellable', `run ${runId} is ${run.state}; only running runs can be cancelled`, { state: run.state });
      const at = now();
      await store.db.transaction().execute(async (trx) => {
        const open = run.steps.filter((s) => !['succeeded', 'failed', 'cancelled'].includes(s.state)).map((s) => s.id);
        await repos.runs.updateSteps(trx, open, { state: 'cancelled', finished_at: at, lease_owner: null, lease_until: null });
        await repos.runs.setRunState(trx, runId, 'cancelled', at, true);
        await repos.audit.append(trx, { kind: 'run.cancelled', actor, subject: run.ticket_number, detail: { runId } }, at);
      });
      return load(runId);
    },
  };
}
export type RunControl = ReturnType<typeof createRunControl>;
