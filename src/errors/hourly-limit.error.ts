import { ConnectorError } from './connector.error';

/**
 * A connector's hourly budget for one endpoint is spent. Nothing was sent: the step waits until
 * `nextSlotAt` (the engine saves it unclaimed, with this message as its `waiting_for`) instead of
 * failing or holding a worker while the limiter waits for the next hour.
 */
export class HourlyLimitError extends ConnectorError {
  constructor(
    readonly endpoint: string,
    readonly requestsPerHour: number,
    /** Epoch ms when the budget refills. */
    readonly nextSlotAt: number,
    connector: string,
    now = Date.now(),
  ) {
    super(
      connector,
      'transient',
      'hourly_limit',
      `connector ${connector}: hourly limit of ${requestsPerHour} reached for ${endpoint}, next slot at ${new Date(nextSlotAt).toISOString()}`,
      { retryAfterMs: Math.max(0, nextSlotAt - now), details: { endpoint, requestsPerHour, nextSlotAt } },
    );
  }
}
