import CircuitBreaker from 'opossum';
import { Gauge } from 'prom-client';
import { HourlyLimitError, type FailureClass } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';

/** When a backend counts as down, and how long until it is tried again. */
export interface BreakerSettings {
  /** Failed calls (transient or ambiguous) within the rolling window that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit waits before letting one trial call through (half-open). */
  resetAfterMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * One circuit breaker (opossum) per connector endpoint. Only failures that say the backend is
 * unwell count — transient and ambiguous ones; a permanent error (a job that failed, a bad
 * parameter) is the backend working. While a circuit is open the step worker does not call the
 * backend at all: its steps wait until the circuit may be tried again, and no attempt is spent.
 */
export function createCircuitBreakers(deps: {
  settings(connector: string): BreakerSettings | undefined;
  classify(connector: string, error: unknown): FailureClass;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const breakers = new Map<
    string,
    { breaker: CircuitBreaker<[() => Promise<unknown>], unknown>; openedAt: number; settings: BreakerSettings }
  >();
  const gauge = new Gauge({
    name: 'snowline_circuit_state',
    help: 'Circuit breaker per connector endpoint: 0 closed, 1 half-open, 2 open',
    labelNames: ['connector'],
    registers: [deps.metrics.registry],
  });

  function entry(connector: string) {
    let found = breakers.get(connector);
    if (found) return found;
    const settings = deps.settings(connector) ?? { failureThreshold: 5, resetAfterMs: 30_000 };
    const breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
      timeout: false, // steps have their own timeouts; a slow backend call is not a failure here
      resetTimeout: settings.resetAfterMs,
      volumeThreshold: settings.failureThreshold,
      errorThresholdPercentage: 50,
      rollingCountTimeout: Math.max(10_000, settings.resetAfterMs),
      // A spent hourly budget is Snowline's own limit, not the backend failing.
      errorFilter: (err: unknown) => err instanceof HourlyLimitError || deps.classify(connector, err) === 'permanent',
    });
    found = { breaker, openedAt: 0, settings };
    const record = found;
    const report = (state: CircuitState) => {
      gauge.set({ connector }, STATE_VALUE[state]);
      deps.logger[state === 'open' ? 'warn' : 'info'](`circuit ${state.replace('_', '-')} for connector ${connector}`, {
        connector,
        circuit: state,
      });
    };
    breaker.on('open', () => {
      record.openedAt = now();
      report('open');
    });
    breaker.on('halfOpen', () => report('half_open'));
    breaker.on('close', () => report('closed'));
    gauge.set({ connector }, 0);
    breakers.set(connector, found);
    return found;
  }

  return {
    /** Calls the backend through the connector's circuit; rejects with `EOPENBREAKER` while it is open. */
    call<T>(connector: string, call: () => Promise<T>): Promise<T> {
      return entry(connector).breaker.fire(call) as Promise<T>;
    },
    /** When the circuit is open: the time it may be tried again (epoch ms). Otherwise undefined. */
    blockedUntil(connector: string): number | undefined {
      const found = entry(connector);
      return found.breaker.opened ? found.openedAt + found.settings.resetAfterMs : undefined;
    },
    states(): Record<string, CircuitState> {
      return Object.fromEntries(
        [...breakers].map(([name, { breaker }]) => [
          name,
          breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed',
        ]),
      );
    },
    shutdown(): void {
      for (const { breaker } of breakers.values()) breaker.shutdown();
    },
  };
}
export type CircuitBreakers = ReturnType<typeof createCircuitBreakers>;

/** opossum's rejection while a circuit is open. */
export function isOpenCircuit(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'EOPENBREAKER';
}
