import { z } from 'zod';
import { HourlyLimitError } from '../src/errors';
import type { ActionHandler, ResilienceDefaults } from './connector';
import type { FailoverLimiter } from './failover-limiter';
import { localLimiter, type RateLimit, type SharedLimiters } from './rate-limiters';

/**
 * A connector's limits in its config section: each overrides the descriptor's declared default
 * (`defaults.maxConcurrent`, `defaults.requestsPerHour`) and holds per endpoint, across the fleet
 * when Redis is configured. docs/connector-limits.md.
 */
export const connectorLimitsSchema = {
  maxConcurrent: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('requests in flight at once per endpoint; default: the connector’s declared maxConcurrent'),
  requestsPerHour: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('requests per hour per endpoint; default: the connector’s declared requestsPerHour (none = unlimited)'),
};

export type ConnectorLimitsOverride = { maxConcurrent?: number; requestsPerHour?: number };

/** The limit a connector applies: its config's values where given, its descriptor's otherwise. */
export function effectiveLimit(defaults: ResilienceDefaults, override: ConnectorLimitsOverride = {}): RateLimit {
  return {
    maxConcurrent: override.maxConcurrent ?? defaults.maxConcurrent,
    requestsPerHour: override.requestsPerHour ?? defaults.requestsPerHour,
  };
}

/** Requests to one endpoint (a host, a controller, a runner) go through it. */
export interface EndpointLimiter {
  /** Runs `send` within the endpoint's limits; throws HourlyLimitError, sending nothing, when this hour's budget is spent. */
  schedule<T>(send: () => PromiseLike<T>): Promise<T>;
}

/**
 * One limiter per endpoint of a connector: shared by the fleet through Redis when `shared` has it
 * (`<connector>:<endpoint>`), local to this instance otherwise. Clients of one endpoint share it.
 */
export function createEndpointLimiters(
  connector: string,
  limit: RateLimit,
  shared?: SharedLimiters,
): { forEndpoint(endpoint: string): EndpointLimiter } {
  const byEndpoint = new Map<string, EndpointLimiter>();
  const limiterOf = (id: string, of: RateLimit) => shared?.shared(id, of) ?? localLimiter(of);
  const build = (endpoint: string): EndpointLimiter => {
    const id = `${connector}:${endpoint}`;
    const inFlight = limiterOf(id, { maxConcurrent: limit.maxConcurrent, requestTimeoutMs: limit.requestTimeoutMs });
    const perHour = limit.requestsPerHour;
    // Its own limiter, never given work: its reservoir is taken from up front, so a request past the
    // budget is refused at once rather than queued (holding its step) until the hour turns.
    const hourly = perHour === undefined ? undefined : limiterOf(`${id}:hourly`, limit);
    return {
      async schedule(send) {
        if (hourly && perHour !== undefined) await takeFromBudget(hourly, endpoint, perHour);
        return inFlight.schedule(send);
      },
    };
  };
  async function takeFromBudget(hourly: FailoverLimiter, endpoint: string, perHour: number): Promise<void> {
    const left = await hourly.incrementReservoir(-1);
    if (left === null || left >= 0) return;
    await hourly.incrementReservoir(1);
    const nextSlotAt = (await hourly.nextRefillAt()) ?? Date.now() + 3_600_000;
    throw new HourlyLimitError(endpoint, perHour, nextSlotAt, connector);
  }
  return {
    forEndpoint(endpoint) {
      const existing = byEndpoint.get(endpoint);
      if (existing) return existing;
      const made = build(endpoint);
      byEndpoint.set(endpoint, made);
      return made;
    },
  };
}

/**
 * Each call of the actions (start, check, recover, cancel) through `limiter`: for connectors whose
 * backend work is one call per action (a playbook run, an IRE upsert) rather than one HTTP request.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as ConnectorRuntime.actions
export function limitActions<A extends Record<string, ActionHandler<any, any>>>(
  actions: A,
  limiter: EndpointLimiter,
): A {
  const limited = Object.entries(actions).map(([name, handler]) => {
    const through = <F extends ((...args: never[]) => Promise<unknown>) | undefined>(call: F): F =>
      (call && ((...args: never[]) => limiter.schedule(() => call.apply(handler, args)))) as F;
    const wrapped: ActionHandler = {
      start: through(handler.start),
      check: through(handler.check),
      recover: through(handler.recover),
      cancel: through(handler.cancel),
    };
    return [name, wrapped] as const;
  });
  return Object.fromEntries(limited) as A;
}
