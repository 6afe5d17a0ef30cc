/**
 * Worker slots per connector on this instance. The step loop claims no more steps of a connector
 * than it has slots free, so a connector at its concurrency limit leaves its steps unclaimed (for
 * this instance, or another, to take later) instead of parking workers on its limiter, and other
 * connectors' steps go on. Requests themselves are held to the limit fleet-wide by the connectors'
 * endpoint limiters; this keeps the worker pool from filling up behind them.
 */
export interface ConnectorSlots {
  /** Free slots of every limited connector; a connector not named has no limit here. */
  free(): Record<string, number>;
  /** Takes a slot of `connector` for a claimed step; call the result when the step is done with. */
  take(connector: string): () => void;
}

/** `limitOf` gives a connector's steps in flight at once (its declared or configured maxConcurrent). */
export function connectorSlots(
  connectors: readonly string[],
  limitOf: (connector: string) => number | undefined,
): ConnectorSlots {
  const busy = new Map<string, number>();
  return {
    free() {
      const free: Record<string, number> = {};
      for (const name of connectors) {
        const limit = limitOf(name);
        if (limit !== undefined) free[name] = Math.max(0, limit - (busy.get(name) ?? 0));
      }
      return free;
    },
    take(connector) {
      busy.set(connector, (busy.get(connector) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        busy.set(connector, busy.get(connector)! - 1);
      };
    },
  };
}
