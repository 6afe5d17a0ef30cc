import { MemoryStore, type IncrementResponse, type Options } from 'express-rate-limit';
import type { ReadableStore } from './address-gate';
import type { Logger } from '../observability/logger';

/** How long after a failed start the shared store is tried again. */
const RETRY_START_MS = 5_000;

/**
 * A rate-limit store shared through Redis that falls back to counting in this process while Redis
 * fails or restarts: the limits keep holding (per instance) and a request is never refused with a
 * 500 because the counter store is away. A shared store that could not start (Redis down when
 * Snowline started) is built again on a later request, so the fleet-wide count resumes by itself.
 */
export function failoverRateLimitStore(name: string, shared: () => ReadableStore, logger: Logger): ReadableStore {
  const local = new MemoryStore();
  let options: Options | undefined;
  let primary: { store: ReadableStore; ready: Promise<void> } | undefined;
  let failedStartAt = 0;
  let degraded = false;

  function start(): { store: ReadableStore; ready: Promise<void> } {
    const store = shared();
    const ready = Promise.resolve(options && store.init?.(options));
    ready.catch(() => {
      failedStartAt = Date.now();
    });
    return { store, ready };
  }

  function current(): { store: ReadableStore; ready: Promise<void> } {
    if (!primary || (failedStartAt > 0 && Date.now() - failedStartAt >= RETRY_START_MS)) {
      failedStartAt = 0;
      primary = start();
    }
    return primary;
  }

  async function either<T>(
    shared: (store: ReadableStore) => Promise<T> | T,
    fallback: () => Promise<T> | T,
  ): Promise<T> {
    try {
      const { store, ready } = current();
      await ready;
      const result = await shared(store);
      if (degraded) logger.info('rate limits: Redis is back, counting fleet-wide again', { limit: name });
      degraded = false;
      return result;
    } catch (err) {
      if (!degraded)
        logger.warn('rate limits: Redis failed, counting in this instance until it is back', {
          limit: name,
          error: (err as Error).message,
        });
      degraded = true;
      return fallback();
    }
  }

  return {
    init(given: Options) {
      options = given;
      local.init(given);
      primary = start();
    },
    get: (key: string) =>
      either(
        (store) => store.get(key),
        () => local.get(key),
      ),
    increment: (key: string): Promise<IncrementResponse> =>
      either(
        (store) => store.increment(key),
        () => local.increment(key),
      ),
    decrement: (key: string) =>
      either(
        (store) => store.decrement(key),
        () => local.decrement(key),
      ),
    resetKey: (key: string) =>
      either(
        (store) => store.resetKey(key),
        () => local.resetKey(key),
      ),
    shutdown: () => local.shutdown(),
  };
}
