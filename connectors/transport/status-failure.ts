import { ConnectorError, type FailureClass } from '../../src/errors';

/** The code part every connector gives an HTTP error status (each prefixes its own name). */
export type StatusCode =
  'auth' | 'forbidden' | 'not_found' | 'rate_limited' | 'unavailable' | 'ambiguous' | 'bad_request';

export interface StatusVerdict {
  failure: FailureClass;
  code: StatusCode;
  /** The backend turned the request away before running it (429): repeating it is safe whatever it is. */
  notSent: boolean;
}

/**
 * Classifies an HTTP error status, the same way for every connector:
 *
 * | status | failure | code |
 * |---|---|---|
 * | 401 / 403 / 404 | permanent | `auth` / `forbidden` / `not_found` |
 * | 429 | transient, not sent | `rate_limited` |
 * | 503, or another 5xx to an idempotent request | transient | `unavailable` |
 * | another 5xx to a non-idempotent request | ambiguous | `ambiguous`: it may have taken effect |
 * | any other | permanent | `bad_request` |
 */
export function statusFailure(status: number, idempotent: boolean): StatusVerdict {
  const verdict = (failure: FailureClass, code: StatusCode): StatusVerdict => ({ failure, code, notSent: false });
  if (status === 401) return verdict('permanent', 'auth');
  if (status === 403) return verdict('permanent', 'forbidden');
  if (status === 404) return verdict('permanent', 'not_found');
  if (status === 429) return { failure: 'transient', code: 'rate_limited', notSent: true };
  // 503 says the server did not take the request; other 5xx may come after it was applied.
  if (status >= 500)
    return idempotent || status === 503 ? verdict('transient', 'unavailable') : verdict('ambiguous', 'ambiguous');
  return verdict('permanent', 'bad_request');
}

/**
 * An error status as the connector's ConnectorError: the shared verdict, worded by `message`, with
 * `details` plus `notSent` for a 429. `code` renames a verdict's code where a connector documents
 * another.
 */
export function statusError(
  connector: string,
  status: number,
  request: { idempotent: boolean; details: Record<string, unknown> },
  message: (code: StatusCode) => string,
  options: { retryAfterMs?: number; code?: (code: StatusCode) => string } = {},
): ConnectorError {
  const verdict = statusFailure(status, request.idempotent);
  const code = options.code?.(verdict.code) ?? verdict.code;
  return new ConnectorError(connector, verdict.failure, code, message(verdict.code), {
    details: verdict.notSent ? { ...request.details, notSent: true } : request.details,
    retryAfterMs: options.retryAfterMs,
  });
}
