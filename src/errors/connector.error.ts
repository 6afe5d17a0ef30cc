import { SnowlineError } from './snowline.error';

/**
 * How a connector failure divides, which decides what the engine does next:
 * - `transient`: the backend may succeed if asked again (timeouts, 429, 5xx, connection refused);
 *   the engine retries with backoff.
 * - `permanent`: asking again cannot help (validation refused, not found, forbidden); the step fails.
 * - `ambiguous`: the request may or may not have taken effect (connection lost after sending a
 *   launch); the engine must look the effect up by idempotency key before trying again.
 */
export type FailureClass = 'transient' | 'permanent' | 'ambiguous';

/** A connector action failed while talking to its backend. */
export class ConnectorError extends SnowlineError {
  readonly connector: string;
  readonly failure: FailureClass;

  constructor(
    connector: string,
    failure: FailureClass,
    code: string,
    message: string,
    options: { retryAfterMs?: number; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(`${connector}.${code}`, message, { ...options, retryable: failure !== 'permanent' });
    this.connector = connector;
    this.failure = failure;
  }
}
