import type { FailureClass } from '../errors';

/**
 * The pure core of run execution: given the states of a run's steps, what happens next. No I/O,
 * no clock, no randomness of its own — the workers feed it facts and persist what it decides.
 *
 * Step states:  blocked → pending → starting → waiting → succeeded | failed | cancelled
 * - blocked:  an earlier step has not finished yet
 * - pending:  due to start at next_at (its gates are asked first; a gate may keep it pending)
 * - refused:  a gate said no; the step never started
 * - starting: start() was called; if the worker dies here, the next one must recover() first
 * - waiting:  backend work is running (external_ref); check() at next_at
 * Run states: running → succeeded | failed | refused | cancelled
 */
export type StepState = 'blocked' | 'pending' | 'starting' | 'waiting' | 'succeeded' | 'failed' | 'refused' | 'cancelled';
export type RunState = 'running' | 'succeeded' | 'failed' | 'refused' | 'cancelled';

export const FINISHED_STEP_STATES: readonly StepState[] = ['succeeded', 'failed', 'refused', 'cancelled'];

export interface StepView {
  idx: number;
  state: StepState;
}

export interface RunDecision {
  runState: RunState;
  /** The step to make pending now, if any. */
  unblock?: number;
  /** Steps that will never run because the run is over. */
  cancel: number[];
}

/** After a step settles: the run goes on with the next step, or ends. Steps run in index order. */
export function decideRun(steps: readonly StepView[]): RunDecision {
  const ordered = [...steps].sort((a, b) => a.idx - b.idx);
  const ended = ordered.find((s) => s.state === 'failed' || s.state === 'refused');
  if (ended) {
    return { runState: ended.state as 'failed' | 'refused', cancel: ordered.filter((s) => s.state === 'blocked').map((s) => s.idx) };
  }
  if (ordered.every((s) => s.state === 'succeeded')) return { runState: 'succeeded', cancel: [] };
  const inFlight = ordered.some((s) => s.state === 'pending' || s.state === 'starting' || s.state === 'waiting');
  const next = ordered.find((s) => s.state === 'blocked');
  return { runState: 'running', unblock: !inFlight && next ? next.idx : undefined, cancel: [] };
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Exponential backoff with full jitter (spreads retries of many runs after a shared outage),
 * never sooner than the backend asked for with Retry-After.
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: number, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(ceiling / 2 + (ceiling / 2) * random);
  return Math.max(jittered, retryAfterMs ?? 0);
}

export type FailureDecision =
  | { state: 'failed' }
  /** Try again at `delayMs`: from scratch (pending), by recovering first (starting), or by checking the same backend work again (waiting). */
  | { state: 'pending' | 'starting' | 'waiting'; delayMs: number };

/** What a step does after an attempt failed, from the connector's classification of the error. */
export function decideAfterFailure(
  step: { state: StepState; attempt: number; hasExternalRef: boolean },
  failure: FailureClass,
  policy: RetryPolicy,
  random: number,
  retryAfterMs?: number,
): FailureDecision {
  if (failure === 'permanent' || step.attempt >= policy.maxAttempts) return { state: 'failed' };
  const delayMs = retryDelayMs(step.attempt, policy, random, retryAfterMs);
  if (step.hasExternalRef) return { state: 'waiting', delayMs };
  // After an ambiguous failure the work may exist: the next attempt must look for it first.
  return { state: failure === 'ambiguous' ? 'starting' : 'pending', delayMs };
}
