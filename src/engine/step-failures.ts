import type { ActionHandler } from '../../connectors/connector';
import { SnowlineError, type HourlyLimitError } from '../errors';
import type { Step } from '../store/run.repository';
import { stepFlow } from './run-context';
import { decideAfterFailure, type RetryPolicy, type StepState } from './run-state-machine';
import { runRefOf, stepRefOf } from './run-events';
import { maskSecrets } from './secret-params';
import type { Settle } from './step-settlement';
import type { RunWithSteps, StepWorkerKit } from './step-worker-kit';

export interface StepFailures {
  /** A failed attempt: retried by the connector's classification of the error, or the step fails. */
  failAttempt(run: RunWithSteps, step: Step, err: unknown): Promise<void>;
  waitForHourlyBudget(run: RunWithSteps, claimed: Step, limit: HourlyLimitError): Promise<void>;
  waitForCircuit(run: RunWithSteps, step: Step, until: number): Promise<void>;
  timeOut(run: RunWithSteps, step: Step, handler: ActionHandler, seconds: number): Promise<void>;
}

/** What becomes of a step whose attempt did not get through: a retry, a wait, or its end. */
export function createStepFailures(kit: StepWorkerKit, settle: Settle): StepFailures {
  const { deps, now, save } = kit;

  async function failAttempt(run: RunWithSteps, step: Step, err: unknown): Promise<void> {
    const failure = deps.connectors.classify(step.connector, err);
    const message = maskSecrets(err instanceof Error ? err.message : String(err));
    const retryAfterMs = err instanceof SnowlineError ? err.retryAfterMs : undefined;
    const decision = decideAfterFailure(
      { state: step.state as StepState, attempt: step.attempt, hasExternalRef: step.external_ref !== null },
      failure,
      retryPolicyOf(step),
      kit.random(),
      retryAfterMs,
      { now: now(), at: (step.started_at ?? now()) + kit.retryDeadlineMs },
    );
    if (decision.state === 'failed') {
      const error = decision.gaveUp
        ? `gave up after ${step.attempt} attempt(s) over ${Math.round((now() - (step.started_at ?? now())) / 1000)} s: ${message}`
        : message;
      return settle(run, step, 'failed', { error, result: failureOutput(err) });
    }
    const at = now();
    const saved = await save(step, {
      state: decision.state,
      error: message,
      waiting_for: `retry ${step.attempt + 1} at ${new Date(at + decision.delayMs).toISOString()} after a ${failure} failure`,
      next_at: at + decision.delayMs,
      lease_owner: null,
      lease_until: null,
      attempt: step.attempt,
    });
    if (saved) {
      const retrying = { failure, error: message, delayMs: decision.delayMs };
      await kit.events.emit({ type: 'step.retrying', run: runRefOf(run), step: stepRefOf(step), at, ...retrying });
    }
  }

  /**
   * Backoff delays: the step's own, else its connector's, else the engine's. Attempts are capped
   * only by the step's own `retry.max_attempts`; otherwise the deadline bounds them.
   */
  function retryPolicyOf(step: Step): RetryPolicy {
    const own = stepFlow(step).retry;
    const connector = deps.connectors.defaults(step.connector)?.retry;
    return {
      maxAttempts: own?.maxAttempts ?? Infinity,
      baseDelayMs: own?.baseDelayMs ?? connector?.baseDelayMs ?? deps.retry.baseDelayMs,
      maxDelayMs: own?.maxDelayMs ?? connector?.maxDelayMs ?? deps.retry.maxDelayMs,
    };
  }

  /**
   * The connector's hourly budget for the step's endpoint is spent, and nothing was sent: the step
   * goes back to how it was claimed (no attempt spent, its retry deadline untouched) and waits,
   * unclaimed, until the budget refills.
   */
  async function waitForHourlyBudget(run: RunWithSteps, claimed: Step, limit: HourlyLimitError): Promise<void> {
    const saved = await save(claimed, {
      state: claimed.state,
      attempt: claimed.attempt,
      started_at: claimed.started_at,
      waiting_for: limit.message,
      next_at: Math.max(limit.nextSlotAt, now() + 1000),
      lease_owner: null,
      lease_until: null,
    });
    // A new wait is an event; a step that finds the budget still spent when it is next due is not.
    if (saved && claimed.waiting_for !== limit.message)
      await kit.events.emit({
        type: 'step.waiting_for_budget',
        run: runRefOf(run),
        step: stepRefOf(claimed),
        at: now(),
        reason: limit.message,
      });
  }

  /**
   * The backend's circuit is open: the step waits (no attempt spent) until it may be tried again.
   * A step that has started gives up once its retry deadline has passed: an outage that outlasts
   * it fails the step, with the reason, rather than holding it forever.
   */
  async function waitForCircuit(run: RunWithSteps, step: Step, until: number): Promise<void> {
    if (step.started_at !== null && now() >= step.started_at + kit.retryDeadlineMs)
      return settle(run, step, 'failed', {
        error: `gave up after ${step.attempt} attempt(s) over ${Math.round((now() - step.started_at) / 1000)} s: the circuit of connector ${step.connector} is open (its backend keeps failing)`,
      });
    await save(step, {
      next_at: Math.max(until, now() + 100),
      waiting_for: `circuit open for connector ${step.connector}`,
      lease_owner: null,
      lease_until: null,
      attempt: step.attempt,
    });
  }

  /** A step past its timeout fails (not retried); its backend work is asked to stop, best effort. */
  async function timeOut(run: RunWithSteps, step: Step, handler: ActionHandler, seconds: number): Promise<void> {
    if (step.external_ref && handler.cancel)
      await handler
        .cancel(step.external_ref, kit.actionContext(run, step, new AbortController().signal))
        .catch(() => undefined);
    await settle(run, step, 'failed', { error: `timed out after ${seconds} s` });
  }

  return { failAttempt, waitForHourlyBudget, waitForCircuit, timeOut };
}

/**
 * The output a failed job left (connectors put it in the error's `details.stdoutTail`), kept as
 * the failed step's result so that its log can still be attached to the ticket.
 */
function failureOutput(err: unknown): { stdout_tail: string } | undefined {
  const tail = err instanceof SnowlineError ? err.details.stdoutTail : undefined;
  return typeof tail === 'string' && tail !== '' ? { stdout_tail: tail } : undefined;
}
