/**
 * The connectors' one HTTP transport (docs/connector-transport.md): a request with a timeout, the
 * limiter and trace headers around every attempt, Retry-After read into a delay, HTTP statuses and
 * network failures classified the same way for every connector, and retries of what is safe to repeat.
 */
export {
  createHttpTransport,
  type HttpTransport,
  type TransportClientDeps,
  type TransportRequest,
  type TransportResponse,
} from './http-transport';
export { LimiterFailure, limiterUnavailable, throughLimiter } from './limiter-gate';
export {
  BROKEN_CODES,
  classifyFailure,
  networkCode,
  networkError,
  networkFailure,
  NOT_SENT_CODES,
} from './network-errors';
export { headerText, retryAfterMs } from './retry-after';
export { backoffMs, failedAttempt, withRetries, type Attempt, type RetrySettings } from './retries';
export { statusError, statusFailure, type StatusCode } from './status-failure';
