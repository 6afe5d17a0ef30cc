import { ConnectorError, SnowlineError, type FailureClass } from '../src/errors';
import type { RequestLimiter } from './failover-limiter';

/**
 * What every HTTP-speaking connector needs to tell a network failure's class: whether the request
 * never left (safe to repeat), or broke off after it may have been delivered (ambiguous).
 */

/** Network error codes raised before any byte of the request reached the server. */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Codes of a broken or timed-out exchange common to all clients; each connector adds its client's own. */
export const BROKEN_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'ESOCKETTIMEDOUT',
]);

/** The `code` of a network error from axios / node, if any. */
export function networkCode(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e.code === 'string') return e.code;
  if (e.cause && typeof e.cause.code === 'string') return e.cause.code;
  return undefined;
}

/**
 * A connector's `classify`: ConnectorErrors say it themselves; other Snowline errors by their
 * `retryable` flag; a raw network error by its code; any other error is a bug or bad input, which
 * repeating cannot fix.
 */
export function classifyFailure(
  error: unknown,
  codes: { notSent: ReadonlySet<string>; broken: ReadonlySet<string> },
): FailureClass {
  if (error instanceof ConnectorError) return error.failure;
  if (error instanceof SnowlineError) return error.retryable ? 'transient' : 'permanent';
  const code = networkCode(error);
  if (code && codes.notSent.has(code)) return 'transient';
  if (code && codes.broken.has(code)) return 'ambiguous';
  return 'permanent';
}

/** A limiter refused or failed a request before handing it over to be sent: nothing reached the backend. */
export class LimiterFailure extends Error {
  constructor(readonly reason: unknown) {
    super(`the request limiter failed: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'LimiterFailure';
  }
}

/**
 * Runs `send` through `limiter`, telling the limiter's own failures (its Redis store failing, a
 * stopped limiter) from the request's: the first are raised as LimiterFailure, safe to repeat for
 * any request, because `send` never started. Judging by the error's type or text is not enough:
 * a Redis client's errors are neither bottleneck's nor network errors of the request.
 */
export async function throughLimiter<T>(limiter: RequestLimiter, send: () => Promise<T>): Promise<T> {
  let started = false;
  try {
    return await limiter.schedule(() => {
      started = true;
      return send();
    });
  } catch (err) {
    if (started) throw err;
    throw new LimiterFailure(err);
  }
}

/** The error of a request its limiter never let through: transient, and nothing was sent. */
export function limiterUnavailable(
  connector: string,
  failure: LimiterFailure,
  details: Record<string, unknown>,
): ConnectorError {
  return new ConnectorError(connector, 'transient', 'unavailable', failure.message, {
    // Read by the outbox: an attempt that sent nothing does not count against a write-back's attempts.
    details: { ...details, notSent: true },
    cause: failure.reason,
  });
}
