import { ConflictError, NotFoundError } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Db, Repositories, Store } from '../store';
import { ACTIVE_STEP_STATES, stepGates, type RunWithSteps } from '../store/run.repository';
import { APPROVAL_GATE } from '../rules/catalog';
import { stepFlowIfReadable } from './run-context';
import { createRunEventEmitter } from './run-event-emitter';
import { runRefOf } from './run-events';
import { decideRun, FINISHED_STEP_STATES, type StepState } from './run-state-machine';
import { stepViews } from './run-steps';

/**
 * Manual overrides by people, each audited with who did it: retry a failed run from its failed
 * step, skip a step, pause and resume a run, cancel a run that has not finished, approve or reject
 * a step held by the approval gate. A failed run that goes on is admitted again (see `reopen`).
 */
export function createRunControl(deps: {
  store: Store;
  repos: Repositories;
  logger: Logger;
  metrics: Metrics;
  onChange: () => void;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const { repos } = deps;
  const events = createRunEventEmitter(deps);

  async function load(runId: string): Promise<RunWithSteps> {
    const run = await repos.runs.get(runId);
    if (!run) throw new NotFoundError('run', runId);
    return run;
  }

  /** Compensations undid earlier steps: going on from the failed step would build on undone work. */
  function refuseWhenCompensated(run: RunWithSteps): void {
    if (
      run.steps.some(
        (s) => stepFlowIfReadable(s)?.compensates !== undefined && (s.state === 'succeeded' || s.state === 'failed'),
      )
    ) {
      throw new ConflictError(
        'run.compensated',
        `run ${run.id} was rolled back by its compensation steps; start a new run instead`,
      );
    }
  }

  /**
   * A run goes on: steps cancelled because it ended wait again. A running run (a step skipped before
   * it started) goes on at once. A finished run goes back through the admission, like a new run:
   * it waits `queued` while another run holds its concurrency key, its rule is at max_runs or the
   * fleet at engine.maxActiveRuns, and its due steps wait blocked until the admission starts it.
   */
  async function reopen(trx: Db, run: RunWithSteps, at: number): Promise<void> {
    await repos.runs.updateSteps(
      trx,
      run.steps.filter((s) => s.state === 'cancelled').map((s) => s.id),
      { state: 'blocked', finished_at: null },
    );
    const steps = await repos.runs.stepsOf(trx, run.id);
    if (run.state !== 'running') {
      await repos.runs.updateSteps(
        trx,
        steps.filter((s) => s.state === 'pending').map((s) => s.id),
        { state: 'blocked' },
      );
      await repos.runQueue.requeue(trx, run.id, at);
      return;
    }
    const decision = decideRun(stepViews(steps));
    await repos.runs.updateSteps(
      trx,
      steps.filter((s) => decision.unblock.includes(s.idx)).map((s) => s.id),
      { state: 'pending', next_at: at },
    );
    await repos.runs.setRunState(trx, run.id, 'running', at, false);
  }

  function stepOf(run: RunWithSteps, name: string) {
    const step = run.steps.find((s) => s.name === name);
    if (!step) throw new NotFoundError('step', `${run.id}/${name}`);
    return step;
  }

  return {
    /**
     * Skips one step as if its work were done elsewhere: a failed step of a failed run (the run goes
     * on from there), or a step of a running run that has not started.
     */
    async skip(runId: string, stepName: string, actor: string, reason?: string): Promise<RunWithSteps> {
      const run = await load(runId);
      const step = stepOf(run, stepName);
      const skippable =
        (run.state === 'failed' && step.state === 'failed') ||
        (run.state === 'running' && (step.state === 'blocked' || step.state === 'pending'));
      if (!skippable)
        throw new ConflictError(
          'step.not_skippable',
          `step ${stepName} is ${step.state} in a ${run.state} run; only a failed step of a failed run, or a step not started yet, can be skipped`,
          { state: step.state },
        );
      if (run.state === 'failed') refuseWhenCompensated(run);
      const at = now();
      await events.inTransaction(async (trx, emit) => {
        await repos.runs.updateSteps(trx, [step.id], {
          state: 'skipped',
          error: reason ? `skipped by ${actor}: ${reason}` : `skipped by ${actor}`,
          finished_at: at,
          lease_owner: null,
          lease_until: null,
        });
        if (run.state === 'failed') await reopen(trx, { ...run, steps: await repos.runs.stepsOf(trx, runId) }, at);
        else await reopen(trx, { ...run, steps: [] }, at);
        await emit({
          type: 'step.skipped_by_operator',
          run: runRefOf(run),
          at,
          actor,
          step: stepName,
          reason: reason ?? null,
        });
      });
      deps.onChange();
      return load(runId);
    },

    /** Holds a running run: no step of it starts or is checked until it is resumed. */
    async pause(runId: string, actor: string): Promise<RunWithSteps> {
      const run = await load(runId);
      if (run.state !== 'running')
        throw new ConflictError('run.not_pausable', `run ${runId} is ${run.state}; only running runs can be paused`, {
          state: run.state,
        });
      const at = now();
      await events.inTransaction(async (trx, emit) => {
        await repos.runs.setRunState(trx, runId, 'paused', at, false);
        await emit({ type: 'run.paused', run: runRefOf(run), at, actor });
      });
      return load(runId);
    },

    /** Lets a paused run go on: its active steps are due at once. */
    async resume(runId: string, actor: string): Promise<RunWithSteps> {
      const run = await load(runId);
      if (run.state !== 'paused')
        throw new ConflictError('run.not_paused', `run ${runId} is ${run.state}; only paused runs can be resumed`, {
          state: run.state,
        });
      const at = now();
      await events.inTransaction(async (trx, emit) => {
        const active = run.steps
          .filter((s) => (ACTIVE_STEP_STATES as readonly string[]).includes(s.state))
          .map((s) => s.id);
        await repos.runs.updateSteps(trx, active, { next_at: at });
        await repos.runs.setRunState(trx, runId, 'running', at, false);
        await emit({ type: 'run.resumed', run: runRefOf(run), at, actor });
      });
      deps.onChange();
      return load(runId);
    },

    async retry(runId: string, actor: string): Promise<RunWithSteps> {
      const run = await load(runId);
      if (run.state !== 'failed')
        throw new ConflictError('run.not_retryable', `run ${runId} is ${run.state}; only failed runs can be retried`, {
          state: run.state,
        });
      refuseWhenCompensated(run);
      const at = now();
      await events.inTransaction(async (trx, emit) => {
        const failed = run.steps.filter((s) => s.state === 'failed').map((s) => s.id);
        await repos.runs.updateSteps(trx, failed, {
          state: 'pending',
          attempt: 0,
          error: null,
          next_at: at,
          external_ref: null,
          finished_at: null,
        });
        await reopen(trx, run, at);
        const steps = run.steps.filter((s) => s.state === 'failed').map((s) => s.name);
        await emit({ type: 'run.retried', run: runRefOf(run), at, actor, steps });
      });
      deps.onChange();
      return load(runId);
    },

    /** Retries one failed step of a failed run; other failed branches stay failed. */
    async retryStep(runId: string, stepName: string, actor: string): Promise<RunWithSteps> {
      const run = await load(runId);
      const step = stepOf(run, stepName);
      if (run.state !== 'failed' || step.state !== 'failed')
        throw new ConflictError(
          'step.not_retryable',
          `step ${stepName} is ${step.state} in a ${run.state} run; only a failed step of a failed run can be retried`,
          { state: step.state },
        );
      refuseWhenCompensated(run);
      const at = now();
      await events.inTransaction(async (trx, emit) => {
        await repos.runs.updateSteps(trx, [step.id], {
          state: 'pending',
          attempt: 0,
          error: null,
          next_at: at,
          external_ref: null,
          finished_at: null,
        });
        await reopen(trx, { ...run, steps: await repos.runs.stepsOf(trx, runId) }, at);
        await emit({ type: 'step.retried', run: runRefOf(run), at, actor, step: stepName });
      });
      deps.onChange();
      return load(runId);
    },

    async cancel(runId: string, actor: string): Promise<RunWithSteps> {
      const run = await load(runId);
      if (!['queued', 'running', 'paused'].includes(run.state))
        throw new ConflictError(
          'run.not_cancellable',
          `run ${runId} is ${run.state}; only queued, running or paused runs can be cancelled`,
          { state: run.state },
        );
      const at = now();
      await events.inTransaction(async (trx, emit) => {
        const open = run.steps.filter((s) => !FINISHED_STEP_STATES.includes(s.state as StepState)).map((s) => s.id);
        await repos.runs.updateSteps(trx, open, {
          state: 'cancelled',
          finished_at: at,
          lease_owner: null,
          lease_until: null,
        });
        await repos.runs.setRunState(trx, runId, 'cancelled', at, true);
        await emit({ type: 'run.cancelled', run: runRefOf(run), at, actor });
      });
      return load(runId);
    },

    /**
     * Records a person's decision on the step of a running run that waits for the approval gate
     * (the first such step without a decision), and asks its gates again at once.
     */
    async decide(
      runId: string,
      decision: 'approved' | 'rejected',
      actor: string,
      comment?: string,
    ): Promise<RunWithSteps> {
      const run = await load(runId);
      if (run.state !== 'running')
        throw new ConflictError(
          'run.not_awaiting_approval',
          `run ${runId} is ${run.state}; only running runs can be approved or rejected`,
          { state: run.state },
        );
      const candidates = run.steps.filter(
        (s) => !FINISHED_STEP_STATES.includes(s.state as StepState) && stepGates(s).includes(APPROVAL_GATE),
      );
      let step: (typeof candidates)[number] | undefined;
      for (const candidate of candidates)
        if (!(await repos.approvals.find(runId, candidate.name))) {
          step = candidate;
          break;
        }
      if (!step) throw new ConflictError('run.not_awaiting_approval', `run ${runId} has no step awaiting approval`);
      const at = now();
      await events.inTransaction(async (trx, emit) => {
        await repos.approvals.record(trx, {
          run_id: runId,
          step_name: step.name,
          decision,
          actor,
          comment: comment ?? null,
          decided_at: at,
        });
        if (step.state === 'pending') await repos.runs.updateSteps(trx, [step.id], { next_at: at });
        const decided = { actor, step: step.name, comment: comment ?? null };
        await emit({ type: `run.${decision}`, run: runRefOf(run), at, ...decided });
      });
      deps.onChange();
      return load(runId);
    },
  };
}
export type RunControl = ReturnType<typeof createRunControl>;
