import { runSpanIdOf } from '../observability/trace-ids';
import { inSpan } from '../observability/tracing';
import { withCorrelation } from '../observability/context';
import { CorruptRowError } from '../store';
import { stepGates, type Run, type Step } from '../store/run.repository';
import { conditionHolds, runContextOf, stepFlow, type RunContext, type StepFlow } from './run-context';
import { keepLease } from './lease-heartbeat';
import { registerSecretParams } from './secret-params';
import { openSecretParams } from './run-secrets';
import { createStepExecution } from './step-execution';
import { createStepFailures } from './step-failures';
import { createStepGatesPhase } from './step-gates-phase';
import { createStepSettlement } from './step-settlement';
import type { StepWorkerDeps } from './step-worker-deps';
import { createStepWorkerKit, type RunWithSteps } from './step-worker-kit';
import { createStepWriteback } from './step-writeback';

export type { SettledStep, StepHooks, StepWorkerDeps } from './step-worker-deps';

/**
 * Executes claimed steps: start, recover after a crash, check on backend work, retry by the
 * connector's classification, and when a step settles, advance its run through the pure state
 * machine. A run that ends enqueues its write-back in the same transaction.
 *
 * This module holds a claimed step's lease and walks it through its phases; each phase lives in a
 * module of its own: gates and milestone checks (step-gates-phase), execution (step-execution),
 * retries and waits (step-failures), settling (step-settlement), write-backs (step-writeback).
 */
export function createStepWorker(deps: StepWorkerDeps) {
  const kit = createStepWorkerKit(deps);
  const { now, save } = kit;
  const { repos, logger } = deps;
  const writeback = createStepWriteback(kit);
  const { settle } = createStepSettlement(kit, writeback);
  const failures = createStepFailures(kit, settle);
  const gates = createStepGatesPhase(kit, settle, writeback);
  const execute = createStepExecution(kit, settle, failures);

  /**
   * What the step is worked with: its run's context (secret params opened, in memory only) and its
   * own flow and gates. A stored column that is corrupt (CorruptRowError, naming it) ends the step
   * for good, as sealed params that cannot be opened do: reading it again cannot help.
   */
  function readStep(
    run: Run,
    step: Step,
  ): { context: RunContext; flow: StepFlow; gates: string[] } | { error: string } {
    let context: RunContext;
    try {
      context = openSecretParams(runContextOf(run), kit.secretBox);
    } catch (err) {
      if (err instanceof CorruptRowError) return { error: err.message };
      return { error: `secret params of the run cannot be opened: ${(err as Error).message}` };
    }
    try {
      return { context, flow: stepFlow(step), gates: stepGates(step) };
    } catch (err) {
      if (err instanceof CorruptRowError) return { error: err.message };
      throw err;
    }
  }

  /** Executes one claimed step; `claimedRun` is its run as read with the claimed batch (read here when not given). */
  async function process(step: Step, claimedRun?: RunWithSteps): Promise<void> {
    const run = claimedRun ?? (await repos.runs.get(step.run_id));
    if (!run) return;
    const heartbeat = keepLease(
      () => repos.runs.extendLease(step.id, deps.owner, now() + deps.leaseMs),
      deps.leaseMs,
      logger,
      {
        stepId: step.id,
      },
    );
    try {
      const span = {
        correlationId: run.correlation_id,
        parentSpanId: runSpanIdOf(run.id),
        attributes: { 'snowline.rule': run.rule_id, 'snowline.step': step.name, 'snowline.ticket': run.ticket_number },
      };
      await withCorrelation(run.correlation_id, () =>
        inSpan(`step ${step.name}`, span, () => processWithin(run, step)),
      );
    } finally {
      heartbeat.stop();
    }
  }

  /** The phases of one claimed step, in order; each may end the step's turn (settled, parked or waiting). */
  async function processWithin(run: RunWithSteps, step: Step): Promise<void> {
    // A paused run's steps are parked until resume makes them due again.
    if (run.state === 'paused')
      return void (await save(step, { next_at: PARKED_UNTIL, lease_owner: null, lease_until: null }));
    const handler = deps.connectors.handler(step.connector, step.action);
    const read = readStep(run, step);
    if ('error' in read) return settle(run, step, 'failed', { error: read.error });
    const { context, flow, gates: gateNames } = read;
    registerSecretParams(context);
    if (!handler)
      return settle(run, step, 'failed', {
        error: `connector action ${step.connector}.${step.action} is not configured`,
      });
    if (step.state === 'pending' && step.attempt === 0 && flow.when !== undefined) {
      let holds: boolean;
      try {
        holds = conditionHolds(flow.when, context, run.id, run.steps);
      } catch (err) {
        return settle(run, step, 'failed', { error: `when: ${(err as Error).message}` });
      }
      if (!holds) return settle(run, step, 'skipped', {});
    }
    if (
      step.state === 'pending' &&
      !(await inSpan('gate', { correlationId: run.correlation_id, parentSpanId: runSpanIdOf(run.id) }, () =>
        gates.passGates(run, step, gateNames, context),
      ))
    )
      return;
    if (
      step.state === 'pending' &&
      step.attempt === 0 &&
      flow.requires &&
      !(await gates.meetsRequirements(run, step, flow.requires))
    )
      return;
    return execute(run, step, handler, context, flow);
  }

  return { process };
}

/** next_at of a parked step: never due by the clock, only when a resume sets it. */
const PARKED_UNTIL = Number.MAX_SAFE_INTEGER;

export type StepWorker = ReturnType<typeof createStepWorker>;
