import { ConnectorError, type FailureClass } from '../../src/errors';
import {
  BROKEN_CODES,
  classifyFailure,
  networkError,
  NOT_SENT_CODES,
  statusError,
  type StatusCode,
} from '../transport';

/**
 * How HTTP failures become `ConnectorError`s (codes prefixed `http.`). "Retry-safe" means the
 * method is idempotent (GET, PUT, DELETE) or the request carried an idempotency key header:
 *
 * | code | failure | when |
 * |---|---|---|
 * | `unavailable` | transient | not sent (refused, DNS), or 429/503, or 5xx / timeout / reset on a retry-safe request |
 * | `ambiguous` | ambiguous | 5xx, timeout or reset after a non-retry-safe request was sent: it may have taken effect |
 * | `auth` / `forbidden` / `not_found` / `bad_request` | permanent | 401 / 403 / 404 / other 4xx |
 * | `token_rejected` | transient | 401 with OAuth2: the cached token is dropped and the next attempt gets a new one |
 * | `token_endpoint` | permanent / transient | the OAuth2 token endpoint refused (4xx) or failed (5xx) |
 * | `unexpected_status` | permanent | a status outside `success.status` that is not an error status |
 * | `check_failed` | permanent | the response did not pass `success.check` |
 * | `invalid_params` | permanent | step parameters refused |
 */
export const CONNECTOR = 'http';

const HTTP_CODES = { notSent: NOT_SENT_CODES, broken: new Set([...BROKEN_CODES, 'ERR_BAD_RESPONSE']) };

export interface RequestFacts {
  method: string;
  url: string;
  retrySafe: boolean;
}

/** What the endpoint's answer says, by the shared status classification (connectors/transport). */
const RESPONSE_MESSAGES: Record<StatusCode, (what: string, said: string, status: number) => string> = {
  auth: (what, said) => `${what} was refused as unauthenticated (401): ${said}`,
  forbidden: (what, said) => `${what} is forbidden (403): ${said}`,
  not_found: (what, said) => `${what} found nothing (404): ${said}`,
  rate_limited: (what, said, status) => `${what} answered ${status}; try later: ${said}`,
  unavailable: (what, said, status) =>
    status === 503 ? `${what} answered ${status}; try later: ${said}` : `${what} failed with ${status}: ${said}`,
  ambiguous: (what, said, status) =>
    `${what} failed with ${status} after it was sent; it may have taken effect: ${said}`,
  bad_request: (what, said, status) => `${what} was rejected (${status}): ${said}`,
};

/** `retryAfterMs` (from the answer's Retry-After) is kept for a 429 or 503, the statuses that ask to come back later. */
export function errorFromStatus(
  status: number,
  body: unknown,
  request: RequestFacts,
  retryAfterMs?: number,
): ConnectorError {
  const said = summary(body);
  const what = `${request.method} ${request.url}`;
  const details = { status, method: request.method, url: request.url, message: said };
  if (status < 400)
    return new ConnectorError(
      CONNECTOR,
      'permanent',
      'unexpected_status',
      `${what} answered ${status}, which the step does not count as success`,
      { details },
    );
  const tryLater = status === 429 || status === 503;
  return statusError(
    CONNECTOR,
    status,
    { idempotent: request.retrySafe, details },
    (code) => RESPONSE_MESSAGES[code](what, said, status),
    {
      retryAfterMs: tryLater ? retryAfterMs : undefined,
      // This connector has always called a 429 `unavailable`, like a 503: both mean "come back later".
      code: (code) => (code === 'rate_limited' ? 'unavailable' : code),
    },
  );
}

export function errorFromNetwork(error: unknown, request: RequestFacts): ConnectorError {
  const what = `${request.method} ${request.url}`;
  return networkError(
    CONNECTOR,
    error,
    { idempotent: request.retrySafe, details: { method: request.method, url: request.url } },
    {
      transient: (verdict) =>
        verdict.notSent
          ? `${what} could not be sent (${verdict.networkCode})`
          : `${what} broke off (${verdict.networkCode}); safe to repeat`,
      ambiguous: (verdict) => `${what} broke off after it was sent (${verdict.networkCode}); it may have taken effect`,
    },
  );
}

export function classifyError(error: unknown): FailureClass {
  return classifyFailure(error, HTTP_CODES);
}

export function invalidParams(action: string, problems: string[]): ConnectorError {
  return new ConnectorError(
    CONNECTOR,
    'permanent',
    'invalid_params',
    `${CONNECTOR}.${action} parameters are invalid: ${problems.join('; ')}`,
    { details: { problems } },
  );
}

function summary(body: unknown): string {
  if (body === undefined || body === null || body === '') return '(no body)';
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.slice(0, 300);
}
