import { ConflictError, NotFoundError } from '../errors';
import type { Repositories, Store } from '../store';
import type { RunWithSteps } from '../store/run.repository';
import { APPROVAL_GATE } from './gates';
import { FINISHED_STEP_STATES, type StepState } from './run-state-machine';

/**
 * Manual overrides by people, each audited with who did it: retry a failed run from its failed
 * step, cancel a run that has not finished, approve or reject a step held by the approval gate.
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
        const open = run.steps.filter((s) => !FINISHED_STEP_STATES.includes(s.state as StepState)).map((s) => s.id);
        await repos.runs.updateSteps(trx, open, { state: 'cancelled', finished_at: at, lease_owner: null, lease_until: null });
        await repos.runs.setRunState(trx, runId, 'cancelled', at, true);
        await repos.audit.append(trx, { kind: 'run.cancelled', actor, subject: run.ticket_number, detail: { runId } }, at);
      });
      return load(runId);
    },

    /**
     * Records a person's decision on the step of a running run that waits for the approval gate
     * (the first such step without a decision), and asks its gates again at once.
     */
    async decide(runId: string, decision: 'approved' | 'rejected', actor: string, comment?: string): Promise<RunWithSteps> {
      const run = await load(runId);
      if (run.state !== 'running') throw new ConflictError('run.not_awaiting_approval', `run ${runId} is ${run.state}; only running runs can be approved or rejected`, { state: run.state });
      const candidates = run.steps.filter((s) => !FINISHED_STEP_STATES.includes(s.state as StepState) && (JSON.parse(s.gates) as string[]).includes(APPROVAL_GATE));
      let step: (typeof candidates)[number] | undefined;
      for (const candidate of candidates) if (!(await repos.approvals.find(runId, candidate.name))) { step = candidate; break; }
      if (!step) throw new ConflictError('run.not_awaiting_approval', `run ${runId} has no step awaiting approval`);
      const at = now();
      await store.db.transaction().execute(async (trx) => {
        await repos.approvals.record(trx, { run_id: runId, step_name: step.name, decision, actor, comment: comment ?? null, decided_at: at });
        if (step.state === 'pending') await repos.runs.updateSteps(trx, [step.id], { next_at: at });
        await repos.audit.append(trx, { kind: `run.${decision}`, actor, subject: run.ticket_number, detail: { runId, step: step.name, comment: comment ?? null, decidedAt: new Date(at).toISOString() } }, at);
      });
      deps.onChange();
      return load(runId);
    },
  };
}
export type RunControl = ReturnType<typeof createRunControl>;
