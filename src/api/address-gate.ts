import type { IncomingMessage, ServerResponse } from 'node:http';
import { ipKeyGenerator, MemoryStore, type Options, type Store } from 'express-rate-limit';
import { sendError } from '../errors/http-error';

/** Answers that count against an address: a bad signature or token, an address not allowed, a replay. */
export const REFUSED_STATUSES: ReadonlySet<number> = new Set([401, 403, 409]);

/** A counter store that can also be read (express-rate-limit's MemoryStore and rate-limit-redis's RedisStore can). */
export type ReadableStore = Store & Required<Pick<Store, 'get'>>;

/** Lets a request through (`next()`), or answers it 429; usable as Express middleware and on a bare Node request. */
export type AddressGate = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const WINDOW_MS = 60_000;

export interface AddressGateOptions {
  /** Refusals one address may cause per minute; the next request from it is answered 429. */
  refusedPerMinute: number;
  /** Where the refusals are counted; default: this process's memory. */
  refusedStore?: ReadableStore;
  /** Requests one address may make per minute, accepted or not; 0 or absent = no such limit. */
  requestsPerMinute?: number;
  /** Where the requests are counted; default: this process's memory. */
  requestsStore?: Store;
  /** Names what the requests are, in the 429's message ("webhook deliveries"). */
  requestsAre?: string;
}

function counterStore<S extends Store>(store: S): S {
  // The stores read only windowMs from express-rate-limit's options.
  void store.init?.({ windowMs: WINDOW_MS } as Options);
  return store;
}

/**
 * Refuses (429) every request of an address that caused `refusedPerMinute` refusals within the
 * minute, a valid one included, and (when set) every request past `requestsPerMinute`. Refusals are
 * counted once answered: an accepted request costs one read of its address's counter, where
 * express-rate-limit's skipSuccessfulRequests counts every request up and the accepted ones down
 * again (two writes and its headers on each webhook delivery). The counters stay in
 * express-rate-limit stores, so Redis shares them across the fleet. Refusals answered at the same
 * moment may each pass the check before any is counted: an address can overshoot by the requests
 * it has in flight. Reads only Node's own request, so the busiest route need not go through Express.
 */
export function addressGate(options: AddressGateOptions): AddressGate {
  const refused = counterStore(options.refusedStore ?? new MemoryStore());
  const perMinute = options.requestsPerMinute ?? 0;
  const requests = perMinute > 0 ? counterStore(options.requestsStore ?? new MemoryStore()) : undefined;
  const countIfRefused = (key: string, status: number) => {
    // A counter store that fails loses one count; the request itself was already answered.
    if (REFUSED_STATUSES.has(status)) Promise.resolve(refused.increment(key)).catch(() => undefined);
  };
  return (req, res, next) => {
    const key = ipKeyGenerator(req.socket.remoteAddress ?? '');
    Promise.all([refused.get(key), requests?.increment(key)]).then(([counted, made]) => {
      if (counted && counted.totalHits >= options.refusedPerMinute)
        return sendError(
          res,
          429,
          'request.rate_limited',
          `more than ${options.refusedPerMinute} refused requests per minute from this address`,
        );
      if (made && made.totalHits > perMinute)
        return sendError(
          res,
          429,
          'request.rate_limited',
          `more than ${perMinute} ${options.requestsAre ?? 'requests'} per minute from this address`,
        );
      res.once('finish', () => countIfRefused(key, res.statusCode));
      next();
    }, next);
  };
}
