import { ConnectorError } from '../../src/errors';
import type { RequestLimiter } from '../failover-limiter';

/** A limiter refused or failed a request before handing it over to be sent: nothing reached the backend. */
export class LimiterFailure extends Error {
  constructor(readonly reason: unknown) {
    super(`the request limiter failed: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'LimiterFailure';
  }
}

/**
 * Runs `send` through `limiter`, telling the limiter's own failures (its Redis store failing, a
 * stopped limiter, a spent hourly budget) from the request's: the first are raised as
 * LimiterFailure, safe to repeat for any request, because `send` never started. Judging by the
 * error's type or text is not enough: a Redis client's errors are neither bottleneck's nor network
 * errors of the request.
 */
export async function throughLimiter<T>(limiter: Pick<RequestLimiter, 'schedule'>, send: () => Promise<T>): Promise<T> {
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
