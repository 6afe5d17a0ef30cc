import type { FailureClass } from '../errors';

/**
 * The pure core of run execution: given the states of a run's steps, what happens next. No I/O,
 * no clock, no randomness of its own — the workers feed it facts and persist what it decides.
 *
 * Step states:  blocked → pending → starting → waiting → succeeded | failed | cancelled
 * - blocked:  its stage has not come yet (or it is a compensation not needed yet)
 * - pending:  due to start at next_at (its `when` and gates are asked first; a gate may keep it pending)
 * - starting: start() was called; if the worker dies here, the next one must recover() first
 * - waiting:  backend work is running (external_ref); check() at next_at
 * - skipped:  its `when` condition was false
 * - refused:  a gate said no; the step never started
 * Run states: queued → running (when a concurrency key or limit lets it; see run-admission.ts);
 * running ⇄ paused (by an operator); running → succeeded | failed | refused | cancelled; queued → cancelled
 * A run whose steps succeeded is `succeeded` only once its write-back reached the ticket: until
 * then it is `writing_back`, and it ends `writeback_failed` when a write-back failed for good
 * (see `writebackOutcome`). A failed or refused run stays so whatever its write-back does.
 *
 * Steps run in stages: a stage is one step, or several parallel branches that run at once and end
 * by their join (all succeed / the first success / at least N). A stage starts when the one before
 * it succeeded. When a stage fails (or a gate refuses), the compensations of the steps that had
 * succeeded run one at a time, latest step first, and then the run ends failed (or refused).
 */
export type StepState =
  'blocked' | 'pending' | 'starting' | 'waiting' | 'succeeded' | 'failed' | 'skipped' | 'refused' | 'cancelled';
export type RunState =
  | 'queued'
  | 'running'
  | 'paused'
  | 'writing_back'
  | 'succeeded'
  | 'writeback_failed'
  | 'failed'
  | 'refused'
  | 'cancelled';

export const FINISHED_STEP_STATES: readonly StepState[] = ['succeeded', 'failed', 'skipped', 'refused', 'cancelled'];
const isFinished = (state: StepState) => FINISHED_STEP_STATES.includes(state);

/** How a stage of parallel branches ends: every branch succeeds, the first success, or at least n. */
export type Join = { kind: 'all' } | { kind: 'first' } | { kind: 'at_least'; n: number };

export interface StepView {
  idx: number;
  state: StepState;
  /** Steps of one stage run at once; default: the step's idx (one stage per step). */
  stage?: number;
  /** The stage's join (read from any of its steps); default all. */
  join?: Join;
  /** For a compensation step: the idx of the step it undoes. */
  compensates?: number;
}

export interface RunDecision {
  runState: RunState;
  /** Steps to make pending now. */
  unblock: number[];
  /** Steps that will never run (or whose result is no longer needed). */
  cancel: number[];
}

type StageOutcome = 'open' | 'succeeded' | 'failed' | 'refused';

/** Where a stage stands, from its join and its members' states. */
export function stageOutcome(members: readonly StepView[], join: Join = { kind: 'all' }): StageOutcome {
  const live = members.filter((s) => s.state !== 'skipped');
  if (live.length === 0) return 'succeeded';
  const succeeded = live.filter((s) => s.state === 'succeeded').length;
  const open = live.filter((s) => !isFinished(s.state)).length;
  const needed = join.kind === 'all' ? live.length : join.kind === 'first' ? 1 : Math.min(join.n, live.length);
  if (succeeded >= needed) return 'succeeded';
  if (succeeded + open >= needed) return 'open';
  return live.some((s) => s.state === 'failed') || !live.some((s) => s.state === 'refused') ? 'failed' : 'refused';
}

/** After a step settles: the run goes on (next stage, compensations), or ends. */
export function decideRun(steps: readonly StepView[]): RunDecision {
  const main = steps.filter((s) => s.compensates === undefined);
  const compensations = steps.filter((s) => s.compensates !== undefined);
  const stages = new Map<number, StepView[]>();
  for (const step of [...main].sort((a, b) => a.idx - b.idx)) {
    const stage = step.stage ?? step.idx;
    stages.set(stage, [...(stages.get(stage) ?? []), step]);
  }
  const cancel: number[] = [];
  const unfinished = (members: readonly StepView[]) => members.filter((s) => !isFinished(s.state)).map((s) => s.idx);
  let ended: 'failed' | 'refused' | undefined;
  for (const stage of [...stages.keys()].sort((a, b) => a - b)) {
    const members = stages.get(stage)!;
    if (ended) {
      cancel.push(...unfinished(members));
      continue;
    }
    const outcome = stageOutcome(members, members.find((s) => s.join)?.join);
    if (outcome === 'open') {
      return { runState: 'running', unblock: members.filter((s) => s.state === 'blocked').map((s) => s.idx), cancel };
    }
    // A decided stage needs none of its unfinished branches any more.
    cancel.push(...unfinished(members));
    if (outcome !== 'succeeded') ended = outcome;
  }
  if (!ended) return { runState: 'succeeded', unblock: [], cancel: [...cancel, ...unfinished(compensations)] };
  return {
    ...compensate(main, compensations, ended),
    cancel: [...cancel, ...compensations.filter((c) => c.state === 'blocked' && !needsUndo(main, c)).map((c) => c.idx)],
  };
}

const needsUndo = (main: readonly StepView[], compensation: StepView) =>
  main.find((s) => s.idx === compensation.compensates)?.state === 'succeeded';

/** Undoes succeeded steps one at a time, latest first; the run ends when nothing is left to undo. */
function compensate(
  main: readonly StepView[],
  compensations: readonly StepView[],
  ended: 'failed' | 'refused',
): Omit<RunDecision, 'cancel'> {
  const needed = compensations.filter((c) => needsUndo(main, c)).sort((a, b) => b.compensates! - a.compensates!);
  if (needed.some((c) => c.state === 'pending' || c.state === 'starting' || c.state === 'waiting'))
    return { runState: 'running', unblock: [] };
  const next = needed.find((c) => c.state === 'blocked');
  return next ? { runState: 'running', unblock: [next.idx] } : { runState: ended, unblock: [] };
}

/** Where a run whose steps succeeded stands, from the states of its write-backs (outbox entries). */
export function writebackOutcome(
  entries: readonly { state: string }[],
): 'writing_back' | 'succeeded' | 'writeback_failed' {
  if (entries.some((e) => e.state === 'pending' || e.state === 'sending')) return 'writing_back';
  return entries.some((e) => e.state === 'failed') ? 'writeback_failed' : 'succeeded';
}

export interface RetryPolicy {
  /** Attempts before giving up; Infinity = bounded by the deadline alone. */
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
  /** `gaveUp`: why a failure that might have passed ends the step (its attempts or its deadline ran out). */
  | { state: 'failed'; gaveUp?: 'attempts' | 'deadline' }
  /** Try again at `delayMs`: from scratch (pending), by recovering first (starting), or by checking the same backend work again (waiting). */
  | { state: 'pending' | 'starting' | 'waiting'; delayMs: number };

/**
 * What a step does after an attempt failed, from the connector's classification of the error.
 * Retries are bounded by time: with `deadline`, a retry that would come after `deadline.at` is not
 * made (the clock is the caller's: `deadline.now`).
 */
export function decideAfterFailure(
  step: { state: StepState; attempt: number; hasExternalRef: boolean },
  failure: FailureClass,
  policy: RetryPolicy,
  random: number,
  retryAfterMs?: number,
  deadline?: { now: number; at: number },
): FailureDecision {
  if (failure === 'permanent') return { state: 'failed' };
  if (step.attempt >= policy.maxAttempts) return { state: 'failed', gaveUp: 'attempts' };
  const delayMs = retryDelayMs(step.attempt, policy, random, retryAfterMs);
  if (deadline && deadline.now + delayMs > deadline.at) return { state: 'failed', gaveUp: 'deadline' };
  if (step.hasExternalRef) return { state: 'waiting', delayMs };
  // After an ambiguous failure the work may exist: the next attempt must look for it first. So it
  // may when the step was already starting (an earlier attempt's work unaccounted for) and only
  // the lookup, or a launch that did not go through, failed now: forgetting it would launch twice.
  return { state: failure === 'ambiguous' || step.state === 'starting' ? 'starting' : 'pending', delayMs };
}
