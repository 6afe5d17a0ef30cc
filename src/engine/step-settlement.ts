import type { StoreTransaction } from '../store';
import type { Run, Step } from '../store/run.repository';
import { stepFlowIfReadable } from './run-context';
import { stepViews } from './run-steps';
import { decideRun, writebackOutcome, type RunDecision, type RunState } from './run-state-machine';
import type { EmitInTransaction } from './run-event-emitter';
import { runRefOf, stepRefOf } from './run-events';
import { maskSecrets } from './secret-params';
import type { SettledStep } from './step-worker-deps';
import type { RunWithSteps, StepWorkerKit } from './step-worker-kit';
import type { StepWriteback } from './step-writeback';

export type SettleOutcome = SettledStep['outcome'];

/** Ends a step for good and advances its run (see createStepSettlement). */
export type Settle = (
  run: RunWithSteps,
  step: Step,
  outcome: SettleOutcome,
  unmasked: { result?: unknown; error?: string },
  alsoRecord?: (trx: StoreTransaction, emit: EmitInTransaction) => Promise<void>,
) => Promise<void>;

interface SettledRun {
  runState: RunState;
  /** Steps the run no longer needs, whose backend work may still be running. */
  cancelled: Step[];
}

/**
 * Settles steps: ends a step; advances its run; when the run ends, enqueues the write-back — all in
 * one transaction, with whatever `alsoRecord` writes (e.g. the verdict that refused the step).
 */
export function createStepSettlement(kit: StepWorkerKit, writeback: StepWriteback): { settle: Settle } {
  const { deps, now } = kit;
  const { repos, logger } = deps;

  const settle: Settle = async (run, step, outcome, unmasked, alsoRecord) => {
    const facts = maskSecrets(unmasked);
    const at = now();
    const ended = await kit.events.inTransaction(async (trx, emit) => {
      const saved = await repos.runs.saveStep(trx, step.id, deps.owner, {
        state: outcome,
        result: facts.result === undefined ? null : JSON.stringify(facts.result),
        error: facts.error ?? null,
        finished_at: at,
        waiting_for: null,
        lease_owner: null,
        lease_until: null,
      });
      if (!saved) return undefined;
      await alsoRecord?.(trx, emit);
      return advanceRun(trx, emit, run, step, outcome, facts.error, at);
    });
    if (mayHoldCredential(step)) await kit.releaseGrants(step, `step ${outcome}`);
    if (ended) await stopCancelledWork(run, ended.cancelled);
  };

  /** With the step saved as settled: the run's next steps, its journal, the hooks, and its end when it ended. */
  async function advanceRun(
    trx: StoreTransaction,
    emit: EmitInTransaction,
    run: RunWithSteps,
    step: Step,
    outcome: SettleOutcome,
    error: string | undefined,
    at: number,
  ): Promise<SettledRun> {
    const steps = await repos.runs.stepsOf(trx, run.id);
    const decision = decideRun(stepViews(steps));
    const unblocked: Partial<Step> = { state: 'pending', next_at: at };
    const cancel: Partial<Step> = { state: 'cancelled', finished_at: at, lease_owner: null, lease_until: null };
    const idsOf = (indexes: number[]) => steps.filter((s) => indexes.includes(s.idx)).map((s) => s.id);
    const cancelled = steps.filter((s) => decision.cancel.includes(s.idx));
    await repos.runs.updateSteps(trx, idsOf(decision.unblock), unblocked);
    await repos.runs.updateSteps(trx, idsOf(decision.cancel), cancel);
    // The run's steps as just saved, without reading them back.
    const settledSteps = steps.map((s) =>
      decision.unblock.includes(s.idx)
        ? { ...s, ...unblocked }
        : decision.cancel.includes(s.idx)
          ? { ...s, ...cancel }
          : s,
    );
    await emit({
      type: `step.${outcome}`,
      run: runRefOf(run),
      step: stepRefOf(step),
      at,
      startedAt: step.started_at ?? at,
      error,
    });
    if (deps.hooks?.afterSettle) {
      await deps.hooks.afterSettle(
        trx,
        {
          run,
          step,
          outcome,
          error,
          runState: decision.runState,
          steps: settledSteps,
          at,
        },
        emit,
      );
    }
    if (decision.runState === 'running') return { runState: decision.runState, cancelled };
    return { runState: await endRun(trx, emit, run, settledSteps, decision, error, at), cancelled };
  }

  /** A run that ended: what it tells its ticket, and the state it is left in. */
  async function endRun(
    trx: StoreTransaction,
    emit: EmitInTransaction,
    run: RunWithSteps,
    steps: Step[],
    decision: RunDecision,
    error: string | undefined,
    at: number,
  ): Promise<RunState> {
    const runOutcome =
      decision.runState === 'succeeded' || decision.runState === 'refused' ? decision.runState : 'failed';
    const queued = await writeback.enqueueRunEnd(trx, run, steps, runOutcome, error, at);
    // Succeeded only once the ticket has heard so: until its write-backs are delivered it is writing
    // back. One that just queued its end's write-back certainly is; otherwise those it queued before
    // (milestone notes) decide, read from the outbox. The count is enqueueRunEnd's own: the outbox's
    // process-wide enqueuedSoFar() also moves with other runs' entries queued meanwhile.
    let runState: RunState = runOutcome;
    if (decision.runState === 'succeeded')
      runState = queued > 0 ? 'writing_back' : writebackOutcome(await repos.outbox.ofRun(trx, run.id));
    await repos.runs.setRunState(trx, run.id, runState, at, runState !== 'writing_back');
    await emit({ type: `run.${runState}`, run: runRefOf(run), at });
    return runState;
  }

  /** Branches no longer needed (a join decided, or the run failed) may have backend work running: ask it to stop. */
  async function stopCancelledWork(run: Run, cancelled: readonly Step[]): Promise<void> {
    for (const step of cancelled) {
      const handler = step.external_ref ? deps.connectors.handler(step.connector, step.action) : undefined;
      if (handler?.cancel)
        await handler
          .cancel(step.external_ref!, kit.actionContext(run, step, new AbortController().signal))
          .catch((err: Error) =>
            logger.warn('could not stop the backend work of a cancelled step', {
              runId: run.id,
              step: step.name,
              error: err.message,
            }),
          );
      if (mayHoldCredential(step)) await kit.releaseGrants(step, 'step cancelled');
    }
  }

  return { settle };
}

/** A privileged step, or one whose flow cannot be read (releasing what it does not hold costs a read). */
function mayHoldCredential(step: Step): boolean {
  const flow = stepFlowIfReadable(step);
  return flow === undefined || flow.credential !== undefined;
}
