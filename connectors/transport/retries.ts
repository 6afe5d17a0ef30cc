import { setTimeout as delay } from 'node:timers/promises';
import type { ConnectorError } from '../../src/errors';

/** How a client repeats a request that failed transiently before giving the failure to its caller. */
export interface RetrySettings {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The first backoff step; each further one doubles, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest wait (a backoff or a backend's Retry-After) worth sitting through; past it the failure is thrown at once. */
  maxWaitMs: number;
}

/** The outcome of one attempt: a value, or a failure and whether the client may send the request again itself. */
export type Attempt<T> = { ok: true; value: T } | { ok: false; error: ConnectorError; safeToRepeat: boolean };

export interface RetryDeps {
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  signal?: AbortSignal;
  /** Told before each wait: for a log line. */
  onRetry?: (error: ConnectorError, attempt: number, waitMs: number) => void;
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal });
}

/**
 * A failed attempt, repeatable by the client when the request is idempotent or nothing of it
 * reached the backend (`details.notSent`: a 429, a connection refused, a limiter that never let it through).
 */
export function failedAttempt(error: ConnectorError, idempotent: boolean): Attempt<never> {
  return { ok: false, error, safeToRepeat: idempotent || error.details.notSent === true };
}

/**
 * Runs `attempt` until it succeeds or its failure is one the client must hand on: not transient,
 * not safe to repeat, the last attempt, aborted, or a wait longer than `maxWaitMs`. Between attempts
 * it waits what the backend asked for (`retryAfterMs`), else an exponential backoff with jitter.
 */
export async function withRetries<T>(
  attempt: () => Promise<Attempt<T>>,
  settings: RetrySettings,
  deps: RetryDeps = {},
): Promise<T> {
  const sleep = deps.sleep ?? sleepFor;
  for (let n = 1; ; n++) {
    const outcome = await attempt();
    if (outcome.ok) return outcome.value;
    const { error } = outcome;
    if (error.failure !== 'transient' || !outcome.safeToRepeat || n >= settings.maxAttempts || deps.signal?.aborted)
      throw error;
    const waitMs = error.retryAfterMs ?? backoffMs(n, settings, deps.random ?? Math.random);
    if (waitMs > settings.maxWaitMs) throw error;
    deps.onRetry?.(error, n, waitMs);
    try {
      await sleep(waitMs, deps.signal);
    } catch {
      throw error;
    }
  }
}

/** Exponential backoff with jitter between half and all of the step. */
export function backoffMs(
  attempt: number,
  settings: Pick<RetrySettings, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  const step = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}
