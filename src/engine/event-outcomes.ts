import { SnowlineError } from '../errors';
import { retryDelayMs } from './run-state-machine';

/**
 * Pure: what becomes of an inbox event whose dispatch failed. An error that says repeating cannot
 * help (a template that does not render, a reference value that is not a sys_id: a `SnowlineError`
 * that is not retryable) rejects the event at once; anything else (ServiceNow unreachable, the
 * store busy, an unexpected fault) is tried again with backoff and jitter, until a deadline counted
 * from its first failure, after which the event is rejected too — it never blocks its ticket forever.
 */
export interface DispatchFailure {
  permanent: boolean;
  /** Stable error code for the metric and the reason (`template.render_failed`, `dispatch.failed`). */
  code: string;
  message: string;
}

export function dispatchFailureOf(err: unknown): DispatchFailure {
  if (err instanceof SnowlineError) return { permanent: !err.retryable, code: err.code, message: err.message };
  return { permanent: false, code: 'dispatch.failed', message: err instanceof Error ? err.message : String(err) };
}

export interface EventRetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long after its first failure an event is still retried. */
  deadlineMs: number;
}

export type DispatchFailureDecision = { retryAt: number; reason: string } | { reject: string };

export function decideAfterDispatchFailure(
  event: { attempts: number; failing_since: number | null },
  failure: DispatchFailure,
  policy: EventRetryPolicy,
  now: number,
  random: number,
): DispatchFailureDecision {
  const reason = `${failure.code}: ${failure.message}`;
  if (failure.permanent) return { reject: reason };
  const attempts = event.attempts + 1;
  const retryAt = now + retryDelayMs(attempts, { maxAttempts: Infinity, ...policy }, random);
  const since = event.failing_since ?? now;
  if (retryAt > since + policy.deadlineMs)
    return { reject: `gave up after ${attempts} attempts over ${Math.round((now - since) / 1000)} s: ${reason}` };
  return { retryAt, reason: `attempt ${attempts} failed, next at ${new Date(retryAt).toISOString()}: ${reason}` };
}

/** The work note a ticket gets when a rule that matched it could not act (once per rejection). */
export function rejectionNote(ruleIds: readonly string[], reason: string, eventId: number): string {
  const rules = ruleIds.length === 1 ? `rule ${ruleIds[0]}` : `rules ${ruleIds.join(', ')}`;
  return (
    `Snowline could not act on this update for ${rules}: ${reason}. Nothing was run for it. ` +
    `An operator can see it with \`snowline events list --state rejected\` and replay event ${eventId} once the cause is fixed.`
  );
}
