import type { ActionContext, ActionHandler, ActionProgress } from '../../connectors/connector';
import { HourlyLimitError, SnowlineError } from '../errors';
import { placeholderFields } from '../rules/template';
import type { Step } from '../store/run.repository';
import { isOpenCircuit } from './circuit-breakers';
import { runRefOf, stepRefOf } from './run-events';
import { renderStepParams, type RunContext, type StepFlow } from './run-context';
import type { StepState } from './run-state-machine';
import type { StepFailures } from './step-failures';
import type { Settle } from './step-settlement';
import type { RunWithSteps, StepWorkerKit } from './step-worker-kit';

/** Runs one attempt of a step that passed its checks (see createStepExecution). */
export type ExecuteStep = (
  run: RunWithSteps,
  step: Step,
  handler: ActionHandler,
  context: RunContext,
  flow: StepFlow,
) => Promise<void>;

/**
 * The execute phase: a step that passed its checks is started, recovered after a crash, or checked
 * on, within its deadline and through its connector's circuit; privileged steps get their credential
 * for the attempt here.
 */
export function createStepExecution(kit: StepWorkerKit, settle: Settle, failures: StepFailures): ExecuteStep {
  const { deps, now, save } = kit;
  const { repos, logger } = deps;

  const execute: ExecuteStep = async (run, step, handler, context, flow) => {
    const deadline =
      flow.timeoutSeconds !== undefined && step.started_at !== null
        ? step.started_at + flow.timeoutSeconds * 1000
        : undefined;
    if (deadline !== undefined && now() >= deadline) return failures.timeOut(run, step, handler, flow.timeoutSeconds!);
    const circuitBlockedUntil = deps.breakers?.blockedUntil(step.connector);
    if (circuitBlockedUntil !== undefined) return failures.waitForCircuit(run, step, circuitBlockedUntil);
    const credential = flow.credential === undefined ? undefined : await credentialFor(run, step, flow);
    if (credential === null) return;
    // The grant is for this attempt: kept only while backend work it started is still running.
    let keepGrant = false;
    const abort = new AbortController();
    const timer = abortAtDeadline(abort, step, flow, deadline);
    const ctx = kit.actionContext(run, step, abort.signal);
    let attempt = step.attempt;
    try {
      const params = renderStepParams(step, context, run.id, run.steps, credential ? { credential } : {});
      const progress = await advance(handler, step, params, ctx, () => markStarting(run, step, (attempt += 1)));
      if (!progress) return;
      if (progress.status === 'done') return settle(run, step, 'succeeded', { result: progress.result });
      keepGrant = true;
      await waitForBackend(step, flow, progress, attempt);
    } catch (err) {
      await attemptThrew(run, step, attempt, handler, flow, abort.signal, err);
    } finally {
      clearTimeout(timer);
      if (credential && credential !== WITHHELD && !keepGrant) await kit.releaseGrants(step, 'attempt ended');
    }
  };

  /** Records the attempt as started (a crash from here on is recovered, not started again); false = lease lost. */
  async function markStarting(run: RunWithSteps, step: Step, attempt: number): Promise<boolean> {
    const at = now();
    const saved = await save(step, {
      state: 'starting',
      attempt,
      started_at: step.started_at ?? at,
      waiting_for: null,
    });
    if (saved) {
      const firstOfRun = step.idx === 0 && step.started_at === null && attempt === 1;
      await kit.events.emit({
        type: 'step.started',
        run: runRefOf(run),
        step: stepRefOf(step),
        at,
        attempt,
        firstOfRun,
      });
    }
    return saved;
  }

  /** The backend call itself is cut off at the step's deadline (counted from now for a first start). */
  function abortAtDeadline(
    abort: AbortController,
    step: Step,
    flow: StepFlow,
    deadline: number | undefined,
  ): ReturnType<typeof setTimeout> | undefined {
    const limitMs =
      deadline !== undefined
        ? deadline - now()
        : flow.timeoutSeconds !== undefined
          ? flow.timeoutSeconds * 1000
          : undefined;
    const timer =
      limitMs !== undefined
        ? setTimeout(
            () => abort.abort(new SnowlineError('engine.step_timeout', `step ${step.name} timed out`)),
            limitMs,
          )
        : undefined;
    timer?.unref();
    return timer;
  }

  /** Backend work is running: the step is released until it is worth checking on (never past its deadline). */
  async function waitForBackend(
    step: Step,
    flow: StepFlow,
    progress: Extract<ActionProgress<unknown>, { status: 'pending' }>,
    attempt: number,
  ): Promise<void> {
    const startedAt = step.started_at ?? now();
    const checkAt = Math.min(
      now() + progress.checkAfterMs,
      flow.timeoutSeconds !== undefined ? startedAt + flow.timeoutSeconds * 1000 : Infinity,
    );
    await save(step, {
      state: 'waiting',
      external_ref: progress.ref,
      next_at: checkAt,
      lease_owner: null,
      lease_until: null,
      attempt,
    });
  }

  /** An attempt that threw: a wait for the hourly budget or an open circuit, a timeout, or a failed attempt. */
  async function attemptThrew(
    run: RunWithSteps,
    claimed: Step,
    attempt: number,
    handler: ActionHandler,
    flow: StepFlow,
    signal: AbortSignal,
    err: unknown,
  ): Promise<void> {
    if (err instanceof HourlyLimitError) return failures.waitForHourlyBudget(run, claimed, err);
    const step = { ...claimed, attempt };
    if (signal.aborted) return failures.timeOut(run, step, handler, flow.timeoutSeconds!);
    // Failures that opened (or re-opened) the circuit are the backend's outage, not this step's:
    // they spend no attempt, so a long outage cannot exhaust a step's retries.
    const circuitOpenUntil = deps.breakers?.blockedUntil(step.connector);
    if (
      isOpenCircuit(err) ||
      (circuitOpenUntil !== undefined && deps.connectors.classify(step.connector, err) !== 'permanent')
    ) {
      return failures.waitForCircuit(run, step, circuitOpenUntil ?? now() + 1000);
    }
    await failures.failAttempt(run, step, err);
  }

  /**
   * A privileged step's credential for this attempt, checked out only once its approval is on
   * record (validation demands the approval gate; this is the check at the point of use). null =
   * no attempt now (the step was refused or its checkout failed and was handled).
   * While the step waits on backend work it started, the backend already holds the credential:
   * checking on it takes no second grant, and its params show every credential field as withheld.
   */
  async function credentialFor(
    run: RunWithSteps,
    step: Step,
    flow: StepFlow,
  ): Promise<Record<string, string> | typeof WITHHELD | null> {
    if (step.state === 'waiting' && step.external_ref) return WITHHELD;
    const approval = await repos.approvals.find(run.id, step.name);
    if (approval?.decision !== 'approved') {
      await settle(run, step, 'refused', {
        error: `privileged step ${step.name} has no recorded approval; its credential was not checked out`,
      });
      return null;
    }
    if (!deps.privilege) {
      await settle(run, step, 'failed', {
        error: `privileged step ${step.name}: no credential provider is configured (privilege.providers)`,
      });
      return null;
    }
    try {
      return await deps.privilege.grant({
        run,
        step,
        credential: flow.credential!,
        approvedBy: approval.actor,
        ttlSeconds: flow.timeoutSeconds,
      });
    } catch (err) {
      await failures.failAttempt(run, step, err);
      return null;
    }
  }

  /** One move of a step: start it, recover it, or check its backend work. undefined = lease lost. */
  async function advance(
    handler: ActionHandler,
    step: Step,
    params: unknown,
    ctx: ActionContext,
    markStarting: () => Promise<boolean>,
  ): Promise<ActionProgress<unknown> | undefined> {
    const state = step.state as StepState;
    if (state === 'waiting' && step.external_ref) {
      if (!handler.check)
        throw new SnowlineError('engine.no_check', `${step.connector}.${step.action} cannot check on its work`);
      return kit.guarded(step.connector, () => handler.check!(step.external_ref!, params, ctx));
    }
    if (state === 'starting' && handler.recover) {
      const ref = await kit.guarded(step.connector, () => handler.recover!(params, ctx));
      if (ref) {
        logger.info('step recovered backend work started before a crash', { runId: step.run_id, step: step.name, ref });
        return { status: 'pending', ref, checkAfterMs: 0 };
      }
    }
    if (!(await markStarting())) return undefined;
    return kit.guarded(step.connector, () => handler.start(params, ctx));
  }

  return execute;
}

/** A credential's fields as templates see them outside the attempt that holds it. */
const WITHHELD = placeholderFields(() => '[withheld]');
