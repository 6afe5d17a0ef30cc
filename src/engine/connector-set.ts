import type {
  ActionHandler,
  ConnectorDescriptor,
  ConnectorRuntime,
  ResilienceDefaults,
} from '../../connectors/connector';
import { ConnectorError, type FailureClass } from '../errors';

/** The connectors this instance has built from config, found by name. */
export interface ConnectorSet {
  handler(connector: string, action: string): ActionHandler | undefined;
  classify(connector: string, error: unknown): FailureClass;
  names(): string[];
  /** The connector's resilience defaults (retry, breaker), when it declares them. */
  defaults(connector: string): ResilienceDefaults | undefined;
  health(): Promise<Record<string, { ok: boolean; detail?: string }>>;
}

export function connectorSet(
  entries: Record<string, { descriptor: ConnectorDescriptor; runtime: ConnectorRuntime }>,
): ConnectorSet {
  return {
    handler: (connector, action) => entries[connector]?.runtime.actions[action],
    classify(connector, error) {
      if (error instanceof ConnectorError) return error.failure;
      return entries[connector]?.descriptor.classify(error) ?? 'permanent';
    },
    names: () => Object.keys(entries),
    defaults: (connector) => entries[connector]?.descriptor.defaults,
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
