import type {
  ActionHandler,
  ConnectorDescriptor,
  ConnectorRuntime,
  ResilienceDefaults,
} from '../../connectors/connector';
import { effectiveLimit, type ConnectorLimitsOverride } from '../../connectors/endpoint-limits';
import type { RateLimit } from '../../connectors/rate-limiters';
import { ConnectorError, type FailureClass } from '../errors';

/** The connectors this instance has built from config, found by name. */
export interface ConnectorSet {
  handler(connector: string, action: string): ActionHandler | undefined;
  classify(connector: string, error: unknown): FailureClass;
  names(): string[];
  /** The connector's resilience defaults (retry, breaker), when it declares them. */
  defaults(connector: string): ResilienceDefaults | undefined;
  /** The connector's limits: its config's overrides, else its declared defaults; undefined = unlimited. */
  limit(connector: string): RateLimit | undefined;
  health(): Promise<Record<string, { ok: boolean; detail?: string }>>;
}

export function connectorSet(
  entries: Record<string, { descriptor: ConnectorDescriptor; runtime: ConnectorRuntime }>,
  /** Limits set in config, by connector name. */
  overrides: Record<string, ConnectorLimitsOverride | undefined> = {},
): ConnectorSet {
  return {
    handler: (connector, action) => entries[connector]?.runtime.actions[action],
    classify(connector, error) {
      if (error instanceof ConnectorError) return error.failure;
      return entries[connector]?.descriptor.classify(error) ?? 'permanent';
    },
    names: () => Object.keys(entries),
    defaults: (connector) => entries[connector]?.descriptor.defaults,
    limit(connector) {
      const defaults = entries[connector]?.descriptor.defaults;
      return defaults && effectiveLimit(defaults, overrides[connector]);
    },
    async health() {
      const results = await Promise.all(
        Object.entries(entries).map(
          async ([name, { runtime }]) =>
            [name, await runtime.health().catch((e: Error) => ({ ok: false, detail: e.message }))] as const,
        ),
      );
      return Object.fromEntries(results);
    },
  };
}
