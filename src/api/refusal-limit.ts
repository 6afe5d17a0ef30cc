import type { RequestHandler } from 'express';
import { ipKeyGenerator, MemoryStore, type Options, type Store } from 'express-rate-limit';
import { sendError } from '../errors/http-error';

/** Answers that count against an address: a bad signature or token, an address not allowed, a replay. */
export const REFUSED_STATUSES: ReadonlySet<number> = new Set([401, 403, 409]);

/** A counter store that can also be read (express-rate-limit's MemoryStore and rate-limit-redis's RedisStore can). */
export type ReadableStore = Store & Required<Pick<Store, 'get'>>;

const WINDOW_MS = 60_000;

export interface RefusalLimitOptions {
  /** Refusals one address may cause per minute; the next request from it is answered 429. */
  limit: number;
  /** Where the counts are kept; default: this process's memory. */
  store?: ReadableStore;
}

/**
 * Refuses (429) every request of an address that caused `limit` refusals within the minute, a valid
 * one included. Only refusals are counted, once answered: a request that is accepted costs one read
 * of its address's counter, where express-rate-limit's skipSuccessfulRequests counts every request
 * up and the accepted ones down again (two writes and its headers on each webhook delivery). The
 * counters stay in an express-rate-limit store, so Redis shares them across the fleet as before.
 * Refusals answered at the same moment may each pass the check before any is counted: an address
 * can overshoot by the requests it has in flight.
 */
export function refusalLimit(options: RefusalLimitOptions): RequestHandler {
  const store = options.store ?? new MemoryStore();
  // The stores read only windowMs from express-rate-limit's options.
  void store.init?.({ windowMs: WINDOW_MS } as Options);
  const countIfRefused = (key: string, status: number) => {
    // A counter store that fails loses one count; the request itself was already answered.
    if (REFUSED_STATUSES.has(status)) Promise.resolve(store.increment(key)).catch(() => undefined);
  };
  return (req, res, next) => {
    const key = ipKeyGenerator(req.ip ?? '');
    Promise.resolve(store.get(key)).then((counted) => {
      if (counted && counted.totalHits >= options.limit)
        return sendError(
          res,
          429,
          'request.rate_limited',
          `more than ${options.limit} refused requests per minute from this address`,
        );
      res.once('finish', () => countIfRefused(key, res.statusCode));
      next();
    }, next);
  };
}
