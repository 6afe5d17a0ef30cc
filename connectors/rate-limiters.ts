import Bottleneck from 'bottleneck';
import IORedis from 'ioredis';
import type { Logger } from '../src/observability/logger';
import { FailoverLimiter, LOCAL_ONLY } from './failover-limiter';

/** What a backend tolerates from Snowline: requests in flight at once, and requests per hour. */
export interface RateLimit {
  maxConcurrent: number;
  requestsPerHour?: number;
  /**
   * The longest one request takes (the client's timeout). A fleet-wide slot is given back this long
   * after it was taken even when its holder died: see FailoverLimiter.
   */
  requestTimeoutMs?: number;
}

/** A fleet slot outlives its request's timeout by this much before Redis takes it back. */
const SLOT_MARGIN_MS = 5_000;
/** For a limit that does not say how long its requests take. */
const DEFAULT_SLOT_MS = 5 * 60_000;

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

/** A limiter of this instance alone (no Redis configured): see FailoverLimiter for what keeps the limit. */
export function localLimiter(limit: RateLimit): FailoverLimiter {
  return new FailoverLimiter(LOCAL_ONLY, limiterOptions(limit), limit.requestTimeoutMs ?? 0);
}

export interface SharedLimiters {
  /**
   * The fleet-wide limiter `id` with Redis configured: every instance asking for the same id draws on
   * one budget while Redis answers, and on a local budget of the same limits while it does not.
   * undefined without Redis: each client keeps a limiter of its own.
   */
  shared(id: string, limit: RateLimit): FailoverLimiter | undefined;
  /** Whether limits are fleet-wide right now, for /readyz. */
  status(): SharedLimitsStatus;
  /** Refuses the requests still waiting for their turn, and disconnects from Redis. */
  close(): Promise<void>;
}

export interface SharedLimitsStatus {
  /** Redis is configured. */
  shared: boolean;
  /** Redis is configured but not usable: each instance applies the limits on its own. */
  degraded: boolean;
  reason?: string;
  /** Since when (ms since the epoch) the limits have been local. */
  since?: number;
}

export interface SharedLimitersOptions {
  redisUrl?: string;
  logger: Logger;
  /** Told when limits become local (true) or fleet-wide again (false): a metric. */
  onDegraded?: (degraded: boolean) => void;
  /** Between attempts to reach Redis again while degraded. */
  reconnectMs?: number;
  /** Between checks that Redis still answers; a Redis that hangs fails them. */
  pingMs?: number;
  /** Namespace of the limiters' state in Redis; default `snowline`. Fleets sharing one Redis need different ones. */
  keyPrefix?: string;
}

/**
 * Redis keeps a shared limiter's state this long after its last use: past a whole reservoir hour,
 * so a quiet spell never hands the fleet a fresh budget inside the instance's rate-limit window.
 */
const SHARED_STATE_TTL_MS = 65 * 60_000;

/** One connection to Redis and the fleet limiters made on it; a lost connection is replaced whole. */
interface Generation {
  client: IORedis;
  connection: Bottleneck.IORedisConnection;
  limiters: Map<string, Bottleneck>;
  ping: NodeJS.Timeout;
}

/**
 * Limiters shared through Redis (bottleneck's clustering). The first instance to create a limiter
 * stores its reservoir in Redis; later ones join it rather than reset it, so a restart does not
 * hand the fleet a fresh hourly budget. Each joiner applies the configured concurrency and refill,
 * so a changed setting takes effect without waiting for the state to expire.
 *
 * Redis failing, hanging or restarting empty never blocks a request: limits become local to each
 * instance (logged, on /readyz and in a metric), and the connection is rebuilt until Redis answers
 * again. A new connection is made rather than the old one resumed, because bottleneck recognises a
 * restarted Redis's missing state by the exact error text, which Redis 7 prefixes with `ERR`.
 */
export function createSharedLimiters(options: SharedLimitersOptions): SharedLimiters {
  const { redisUrl, logger } = options;
  if (!redisUrl)
    return {
      shared: () => undefined,
      status: () => ({ shared: false, degraded: false }),
      close: async () => undefined,
    };
  const reconnectMs = options.reconnectMs ?? 2_000;
  const pingMs = options.pingMs ?? 5_000;
  const prefix = options.keyPrefix ?? 'snowline';
  const limits = new Map<string, RateLimit>();
  const failovers = new Map<string, FailoverLimiter>();
  let closed = false;
  let degraded: { reason: string; since: number } | undefined;
  let reconnect: NodeJS.Timeout | undefined;
  let generation: Generation | undefined = connect();

  function connect(): Generation {
    // No offline queue and no reconnecting of its own: a command fails at once while Redis is away.
    const client = new IORedis(redisUrl!, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      connectTimeout: 5_000,
      commandTimeout: 5_000,
    });
    const connection = new Bottleneck.IORedisConnection({ client });
    const own: Generation = {
      client,
      connection,
      limiters: new Map(),
      ping: setInterval(() => void client.ping().catch((err: Error) => fail(own, err.message)), pingMs),
    };
    own.ping.unref();
    // The URL may carry a password: only the error's message is logged.
    connection.on('error', (err: Error) => fail(own, err.message));
    for (const c of [client, (connection as unknown as { subscriber: IORedis }).subscriber])
      c.on('close', () => fail(own, 'connection to Redis closed'));
    return own;
  }

  /** Redis failed on `failing`: go local, drop that connection, and try again later. */
  function fail(failing: Generation | undefined, reason: string): void {
    if (closed || !failing || generation !== failing) return;
    generation = undefined;
    if (degraded) logger.debug('shared rate limits: Redis still unavailable', { reason });
    else {
      degraded = { reason, since: Date.now() };
      logger.warn('shared rate limits: Redis unavailable; each instance limits itself until it is back', { reason });
      options.onDegraded?.(true);
      for (const f of failovers.values()) f.fallBack();
    }
    teardown(failing);
    reconnect = setTimeout(() => void tryAgain(), reconnectMs);
    reconnect.unref();
  }

  async function tryAgain(): Promise<void> {
    if (closed) return;
    const next = connect();
    generation = next;
    const ready = await Promise.race([
      (next.connection as unknown as { ready: Promise<unknown> }).ready
        .then(() => next.client.ping())
        .then(
          () => true,
          () => false,
        ),
      new Promise<boolean>((r) => setTimeout(() => r(false), 5_000).unref()),
    ]);
    if (closed || generation !== next) return;
    if (!ready) return fail(next, 'Redis did not answer');
    degraded = undefined;
    logger.info('shared rate limits: Redis reachable again; limits are fleet-wide');
    options.onDegraded?.(false);
  }

  function limiterOf(g: Generation, id: string): Bottleneck {
    const existing = g.limiters.get(id);
    if (existing) return existing;
    const settings = limiterOptions(limits.get(id)!);
    const limiter = new Bottleneck({
      ...settings,
      id: `${prefix}:${id}`,
      datastore: 'ioredis',
      clearDatastore: false,
      timeout: SHARED_STATE_TTL_MS,
      connection: g.connection,
    });
    const failed = (err: Error) => fail(g, `limiter ${id}: ${err.message}`);
    limiter.on('error', failed);
    // Its state in Redis is set up in the background; a failure there is Redis failing.
    limiter.ready().catch(failed);
    // Everything but the reservoir itself: that is the fleet's remaining budget.
    // updateSettings is typed as returning the limiter; with a Redis store it is a promise of it.
    Promise.resolve(
      limiter.updateSettings({
        maxConcurrent: settings.maxConcurrent,
        reservoirRefreshAmount: settings.reservoirRefreshAmount ?? null,
        reservoirRefreshInterval: settings.reservoirRefreshInterval ?? null,
      }),
    ).catch(failed);
    g.limiters.set(id, limiter);
    return limiter;
  }

  /**
   * Read from the limiter's state in Redis (bottleneck keeps it in `b_<id>_settings`): the refill
   * time is shared by the fleet and bottleneck has no call that returns it.
   */
  async function lastRefillOf(id: string): Promise<number | undefined> {
    const at = await generation?.client
      .hget(`b_${prefix}:${id}_settings`, 'lastReservoirRefresh')
      .catch(() => undefined);
    return at ? Number(at) : undefined;
  }

  return {
    shared(id, limit) {
      const existing = failovers.get(id);
      if (existing) return existing;
      limits.set(id, limit);
      const failover = new FailoverLimiter(
        {
          // While degraded (generation unset) the source has no fleet limiter: requests go local.
          current: () => (generation && !degraded ? limiterOf(generation, id) : undefined),
          failed: (reason) => fail(generation, reason),
          lastRefill: () => lastRefillOf(id),
        },
        limiterOptions(limit),
        limit.requestTimeoutMs ? limit.requestTimeoutMs + SLOT_MARGIN_MS : DEFAULT_SLOT_MS,
      );
      failovers.set(id, failover);
      return failover;
    },
    status: () => ({ shared: true, degraded: degraded !== undefined, ...(degraded ?? {}) }),
    async close() {
      closed = true;
      clearTimeout(reconnect);
      // A request waiting for the fleet's budget would otherwise wait for ever on a closed connection.
      await Promise.all([...failovers.values()].map((f) => f.disconnect()));
      failovers.clear();
      if (generation) teardown(generation);
      generation = undefined;
    },
  };
}

/**
 * Drops a connection and the requests still queued on its limiters (they have moved to the local
 * limiters, or the instance is closing). Nothing waits on it: a dead Redis may never answer.
 */
function teardown(g: Generation): void {
  clearInterval(g.ping);
  for (const limiter of g.limiters.values()) void limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
  void Promise.resolve(g.connection.disconnect(false)).catch(() => undefined);
}
