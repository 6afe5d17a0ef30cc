import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import IORedis from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import type { Logger } from '../observability/logger';
import { sendError } from '../errors/http-error';
import { failoverRateLimitStore } from './failover-rate-limit-store';
import { addressGate, REFUSED_STATUSES, type AddressGate } from './address-gate';

/** Limits of the HTTP surface, per minute. */
export interface RateLimitSettings {
  /** API requests one identity (JWT `sub`) may make. */
  perIdentityPerMinute: number;
  /** Refused requests (bad signature or token, replay, address not allowed) one address may cause before it is refused outright. */
  refusedPerAddressPerMinute: number;
  /** Webhook deliveries one address may make, accepted or not; 0 = no limit beyond the refused one. */
  webhookPerAddressPerMinute: number;
  /** With Redis, every instance counts against the same budget. */
  redisUrl?: string;
}

/** The middleware limits, shared through Redis when configured. */
export interface RateLimits {
  /** Before the webhooks: forged, replayed and unsigned deliveries, and (when set) all deliveries, per address. */
  webhook: AddressGate;
  /** Before authentication: requests without a valid token, per address. */
  unauthenticated: RequestHandler;
  /** After authentication: requests per identity. */
  perIdentity: RequestHandler;
  close(): Promise<void>;
}

/**
 * Builds the limits. express-rate-limit counts in memory per process; with `redisUrl`, rate-limit-redis
 * keeps the counters in Redis so a fleet behind one address is limited as one, and each instance
 * counts on its own while Redis is away (failover-rate-limit-store.ts).
 */
export function createRateLimits(settings: RateLimitSettings, logger: Logger): RateLimits {
  const client = settings.redisUrl ? new IORedis(settings.redisUrl, { maxRetriesPerRequest: 3 }) : undefined;
  // The URL may carry a password: only the error's message is logged.
  client?.on('error', (err: Error) => logger.warn('rate limits: Redis error', { error: err.message }));
  const store = (prefix: string) =>
    client
      ? failoverRateLimitStore(
          prefix,
          () =>
            new RedisStore({
              prefix: `snowline:rl:${prefix}:`,
              sendCommand: (command: string, ...args: string[]) =>
                client.call(command, ...args) as Promise<number | string>,
            }),
          logger,
        )
      : undefined;
  const byAddress = (req: { ip?: string }) => ipKeyGenerator(req.ip ?? '');
  const refused = (name: string) =>
    rateLimit({
      windowMs: 60_000,
      limit: settings.refusedPerAddressPerMinute,
      // Only refusals count: a sender that signs correctly (or a caller with a token) is never slowed by this one.
      requestWasSuccessful: (_req, res) => !REFUSED_STATUSES.has(res.statusCode),
      skipSuccessfulRequests: true,
      keyGenerator: byAddress,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      store: store(name),
      handler: (_req, res, _next, options) =>
        sendError(
          res,
          429,
          'request.rate_limited',
          `more than ${options.limit} refused requests per minute from this address`,
        ),
    });
  // Read on every delivery: the gate counts refusals only, the cheaper way for the busiest route.
  const webhook = addressGate({
    refusedPerMinute: settings.refusedPerAddressPerMinute,
    refusedStore: store('webhook-refused'),
    requestsPerMinute: settings.webhookPerAddressPerMinute,
    requestsStore: store('webhook'),
    requestsAre: 'webhook deliveries',
  });
  return {
    webhook,
    unauthenticated: refused('api-refused'),
    perIdentity: rateLimit({
      windowMs: 60_000,
      limit: settings.perIdentityPerMinute,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      keyGenerator: (req) => `sub:${req.identity!.subject}`,
      validate: { keyGeneratorIpFallback: false },
      store: store('identity'),
      handler: (_req, res, _next, options) =>
        sendError(res, 429, 'request.rate_limited', `more than ${options.limit} requests per minute for this identity`),
    }),
    close: async () => void (await client?.quit().catch(() => undefined)),
  };
}
