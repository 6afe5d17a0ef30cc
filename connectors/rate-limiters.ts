import Bottleneck from 'bottleneck';
import IORedis from 'ioredis';
import type { Logger } from '../src/observability/logger';

/** What a backend tolerates from Snowline: requests in flight at once, and requests per hour. */
export interface RateLimit {
  maxConcurrent: number;
  requestsPerHour?: number;
}

/** Bottleneck options for a limit: concurrency, and an hourly reservoir when a rate is given. */
export function limiterOptions(limit: RateLimit): Bottleneck.ConstructorOptions {
  return {
    maxConcurrent: limit.maxConcurrent,
    ...(limit.requestsPerHour
      ? {
          reservoir: limit.requestsPerHour,
          reservoirRefreshAmount: limit.requestsPerHour,
          reservoirRefreshInterval: 3_600_000,
        }
      : {}),
  };
}

export interface SharedLimiters {
  /**
   * The fleet-wide limiter `id` with Redis configured: every instance asking for the same id draws on
   * one budget. undefined without Redis: each client keeps a limiter of its own.
   */
  shared(id: string, limit: RateLimit): Bottleneck | undefined;
  /** Refuses the requests still waiting for their turn, and disconnects from Redis. */
  close(): Promise<void>;
}

/**
 * Redis keeps a shared limiter's state this long after its last use: past a whole reservoir hour,
 * so a quiet spell never hands the fleet a fresh budget inside the instance's rate-limit window.
 */
const SHARED_STATE_TTL_MS = 65 * 60_000;

/**
 * Limiters shared through Redis (bottleneck's clustering). The first instance to create a limiter
 * stores its reservoir in Redis; later ones join it rather than reset it, so a restart does not
 * hand the fleet a fresh hourly budget. Each joiner applies the configured concurrency and refill,
 * so a changed setting takes effect without waiting for the state to expire.
 */
export function createSharedLimiters(options: { redisUrl?: string; logger: Logger }): SharedLimiters {
  const { redisUrl, logger } = options;
  if (!redisUrl) return { shared: () => undefined, close: async () => undefined };
  const client = new IORedis(redisUrl, { maxRetriesPerRequest: 3 });
  const connection = new Bottleneck.IORedisConnection({ client });
  // The URL may carry a password: only the error's message is logged.
  connection.on('error', (err: Error) =>
    logger.warn('shared rate limits: Redis error; requests wait until it is reachable', { error: err.message }),
  );
  const limiters = new Map<string, Bottleneck>();
  return {
    shared(id, limit) {
      const existing = limiters.get(id);
      if (existing) return existing;
      const settings = limiterOptions(limit);
      const limiter = new Bottleneck({
        ...settings,
        id: `snowline:${id}`,
        datastore: 'ioredis',
        clearDatastore: false,
        timeout: SHARED_STATE_TTL_MS,
        connection,
      });
      limiter.on('error', (err: Error) => logger.warn('shared rate limit failed', { limiter: id, error: err.message }));
      // Everything but the reservoir itself: that is the fleet's remaining budget.
      limiter.updateSettings({
        maxConcurrent: settings.maxConcurrent,
        reservoirRefreshAmount: settings.reservoirRefreshAmount ?? null,
        reservoirRefreshInterval: settings.reservoirRefreshInterval ?? null,
      });
      limiters.set(id, limiter);
      return limiter;
    },
    async close() {
      // A request waiting for the fleet's budget would otherwise wait for ever on a closed connection.
      await Promise.all([...limiters.values()].map((l) => l.stop({ dropWaitingJobs: true }).catch(() => undefined)));
      await Promise.all([...limiters.values()].map((l) => l.disconnect(false)));
      limiters.clear();
      await connection.disconnect(false);
    },
  };
}
