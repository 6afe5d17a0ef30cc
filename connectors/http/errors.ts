import { ConnectorError, type FailureClass } from '../../src/errors';
import { BROKEN_CODES, classifyFailure, networkCode, NOT_SENT_CODES } from '../network-errors';

export { networkCode };

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

export function errorFromStatus(
  status: number,
  body: unknown,
  request: RequestFacts,
  retryAfterMs?: number,
): ConnectorError {
  const said = summary(body);
  const what = `${request.method} ${request.url}`;
  const details = { status, method: request.method, url: request.url, message: said };
  if (status === 401)
    return new ConnectorError(CONNECTOR, 'permanent', 'auth', `${what} was refused as unauthenticated (401): ${said}`, {
      details,
    });
  if (status === 403)
    return new ConnectorError(CONNECTOR, 'permanent', 'forbidden', `${what} is forbidden (403): ${said}`, { details });
  if (status === 404)
    return new ConnectorError(CONNECTOR, 'permanent', 'not_found', `${what} found nothing (404): ${said}`, { details });
  if (status === 429 || status === 503)
    return new ConnectorError(CONNECTOR, 'transient', 'unavailable', `${what} answered ${status}; try later: ${said}`, {
      details,
      retryAfterMs,
    });
  if (status >= 500) {
    if (request.retrySafe)
      return new ConnectorError(CONNECTOR, 'transient', 'unavailable', `${what} failed with ${status}: ${said}`, {
        details,
      });
    return new ConnectorError(
      CONNECTOR,
      'ambiguous',
      'ambiguous',
      `${what} failed with ${status} after it was sent; it may have taken effect: ${said}`,
      { details },
    );
  }
  if (status >= 400)
    return new ConnectorError(CONNECTOR, 'permanent', 'bad_request', `${what} was rejected (${status}): ${said}`, {
      details,
    });
  return new ConnectorError(
    CONNECTOR,
    'permanent',
    'unexpected_status',
    `${what} answered ${status}, which the step does not count as success`,
    { details },
  );
}

export function errorFromNetwork(error: unknown, request: RequestFacts): ConnectorError {
  const code = networkCode(error) ?? 'UNKNOWN';
  const what = `${request.method} ${request.url}`;
  const details = { method: request.method, url: request.url, networkCode: code };
  if (NOT_SENT_CODES.has(code))
    return new ConnectorError(CONNECTOR, 'transient', 'unavailable', `${what} could not be sent (${code})`, {
      details,
      cause: error,
    });
  if (request.retrySafe)
    return new ConnectorError(CONNECTOR, 'transient', 'unavailable', `${what} broke off (${code}); safe to repeat`, {
      details,
      cause: error,
    });
  return new ConnectorError(
    CONNECTOR,
    'ambiguous',
    'ambiguous',
    `${what} broke off after it was sent (${code}); it may have taken effect`,
    { details, cause: error },
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
