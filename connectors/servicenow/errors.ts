import type { z } from 'zod';
import { ConnectorError, type FailureClass } from '../../src/errors';
import {
  BROKEN_CODES,
  classifyFailure,
  headerText,
  networkError,
  NOT_SENT_CODES,
  retryAfterMs,
  statusError,
  type StatusCode,
} from '../transport';
import { errorEnvelopeSchema } from './schemas';

/**
 * How ServiceNow failures become `ConnectorError`s with stable codes (
 * https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/r_RESTAPIHTTPResponseCodes.html). Every code is prefixed `servicenow.`:
 *
 * | code | failure | when |
 * |---|---|---|
 * | `not_found` | permanent | 404: missing, or hidden by an ACL (indistinguishable) |
 * | `forbidden` | permanent | 403: ACL or business-rule abort |
 * | `data_policy` | permanent | 403 whose detail says `Data Policy Exception` (mandatory fields missing) |
 * | `auth` | permanent | 401 after the one re-authentication; token endpoint refused the credentials |
 * | `bad_request` | permanent | 400 and other 4xx (invalid table, malformed body, 405/406/415) |
 * | `rate_limited` | transient | 429 with `X-RateLimit-*` or `Retry-After`; `retryAfterMs` = until the reset |
 * | `queue_full` | transient | 429 without those headers: the node's API_INT semaphore queue is full |
 * | `unavailable` | transient | 5xx, or a network failure before the request was sent |
 * | `ambiguous` | ambiguous | the connection broke / timed out after a non-idempotent request was sent, or the gateway answered 500/502/504 to one: it may have taken effect |
 */
export const CONNECTOR = 'servicenow';

/** What the client knows about the request a failure belongs to. */
export interface RequestFacts {
  method: string;
  /** Path without the query string (it may hold ticket values). */
  path: string;
  /** Repeating it cannot change the outcome (GET, DELETE, PATCH without journal fields). */
  idempotent: boolean;
}

/** The parsed `{"error":{"message","detail"},"status":"failure"}` envelope, if the body is one. */
export function parseEnvelope(body: unknown): { message: string; detail: string } | undefined {
  let data = body;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  const parsed = errorEnvelopeSchema.safeParse(data);
  if (!parsed.success) return undefined;
  return { message: parsed.data.error.message ?? '', detail: parsed.data.error.detail ?? '' };
}

/**
 * How long a 429 asks to wait, in ms, from `X-RateLimit-Reset` (Unix seconds of the next window,
 * measured against the response's `Date` header when present, so clock skew does not matter) and
 * `Retry-After` (seconds or an HTTP date). The longer of the two wins; undefined when neither is
 * given.
 */
export function rateLimitWaitMs(headers: Record<string, unknown>, nowMs: number): number | undefined {
  const waits: number[] = [];
  const reset = headerText(headers, 'x-ratelimit-reset');
  if (reset !== undefined && /^\d+(\.\d+)?$/.test(reset.trim())) {
    const dateHeader = headerText(headers, 'date');
    const serverNow = dateHeader ? Date.parse(dateHeader) : NaN;
    const reference = Number.isFinite(serverNow) ? serverNow : nowMs;
    waits.push(Math.ceil(Number(reset) * 1000 - reference));
  }
  const retryAfter = retryAfterMs(headers['retry-after'], nowMs);
  if (retryAfter !== undefined) waits.push(retryAfter);
  if (waits.length === 0) return undefined;
  return Math.max(0, ...waits);
}

/** What a 429 said of the rate-limit rule it hit. */
function rateLimitDetails(details: Record<string, unknown>, headers: Record<string, unknown>): Record<string, unknown> {
  return {
    ...details,
    limit: headerText(headers, 'x-ratelimit-limit'),
    rule: headerText(headers, 'x-ratelimit-rule'),
    reset: headerText(headers, 'x-ratelimit-reset'),
  };
}

function hasRateLimitHeaders(headers: Record<string, unknown>): boolean {
  return ['x-ratelimit-reset', 'x-ratelimit-limit', 'x-ratelimit-rule', 'retry-after'].some(
    (h) => headerText(headers, h) !== undefined,
  );
}

/** What ServiceNow's answer says, by the shared status classification (connectors/transport). */
const RESPONSE_MESSAGES: Record<StatusCode, (what: string, said: string, status: number) => string> = {
  auth: (what, said) => `ServiceNow refused the credentials for ${what}: ${said}`,
  forbidden: (what, said) => `ServiceNow forbade ${what}: ${said}`,
  not_found: (what, said) => `ServiceNow found nothing at ${what} (missing or hidden by an ACL): ${said}`,
  rate_limited: (what, said) => `ServiceNow rate limit reached for ${what}: ${said}`,
  ambiguous: (what, said, status) =>
    `ServiceNow answered ${status} to ${what}; it may or may not have been applied: ${said}`,
  unavailable: (what, said) => `ServiceNow is unavailable for ${what}: ${said}`,
  bad_request: (what, said) => `ServiceNow rejected ${what}: ${said}`,
};

/** Maps an HTTP answer with a non-2xx status to a ConnectorError. */
export function errorFromResponse(
  status: number,
  headers: Record<string, unknown>,
  body: unknown,
  request: RequestFacts,
  nowMs: number = Date.now(),
): ConnectorError {
  const envelope = parseEnvelope(body);
  const snMessage = envelope?.message ?? '';
  const snDetail = envelope?.detail ?? '';
  const details: Record<string, unknown> = {
    status,
    method: request.method,
    path: request.path,
    message: snMessage || undefined,
    detail: snDetail || undefined,
    transactionId: headerText(headers, 'x-transaction-id'),
  };
  const said = [snMessage, snDetail].filter(Boolean).join(': ') || `HTTP ${status}`;
  const what = `${request.method} ${request.path}`;
  const words = (code: StatusCode) => RESPONSE_MESSAGES[code](what, said, status);

  if (status === 403 && (/data policy/i.test(snDetail) || /data policy/i.test(snMessage))) {
    const mandatory = /mandatory:\s*(.+)$/im.exec(snDetail)?.[1]?.trim();
    return new ConnectorError(
      CONNECTOR,
      'permanent',
      'data_policy',
      `ServiceNow data policy refused ${what}: ${said}`,
      {
        details: { ...details, mandatoryFields: mandatory ? mandatory.split(/\s*,\s*/) : undefined },
      },
    );
  }
  if (status === 429 && !hasRateLimitHeaders(headers))
    // Turned away before it ran: for the outbox, no attempt at delivering.
    return new ConnectorError(
      CONNECTOR,
      'transient',
      'queue_full',
      `ServiceNow is too busy for ${what} (API queue full): ${said}`,
      { details: { ...details, notSent: true } },
    );
  if (status === 429)
    return statusError(
      CONNECTOR,
      status,
      { idempotent: request.idempotent, details: rateLimitDetails(details, headers) },
      words,
      {
        retryAfterMs: rateLimitWaitMs(headers, nowMs),
      },
    );
  return statusError(CONNECTOR, status, { idempotent: request.idempotent, details }, words);
}

/** The shared network codes, plus what the instance's client (axios, undici) raises besides. */
const INSTANCE_CODES = {
  notSent: new Set([...NOT_SENT_CODES, 'ERR_INVALID_URL']),
  broken: new Set([...BROKEN_CODES, 'ERR_CANCELED', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'UND_ERR_SOCKET']),
};

/** Maps a network-level failure (no HTTP answer) to a ConnectorError. */
export function errorFromNetwork(error: unknown, request: RequestFacts): ConnectorError {
  const what = `${request.method} ${request.path}`;
  return networkError(
    CONNECTOR,
    error,
    { idempotent: request.idempotent, details: { method: request.method, path: request.path } },
    {
      transient: (_, reason) => `ServiceNow could not be reached for ${what}: ${reason}`,
      ambiguous: (verdict) =>
        `connection to ServiceNow broke during ${what} after the request was sent (${verdict.networkCode}); it may or may not have been applied`,
    },
    INSTANCE_CODES.notSent,
  );
}

/**
 * The connector's `classify`: ConnectorErrors say it themselves; other Snowline errors by their
 * `retryable` flag; a raw network error is ambiguous (nobody recorded whether it was sent); any
 * other error is a bug or bad input, which repeating cannot fix.
 */
export function classifyError(error: unknown): FailureClass {
  return classifyFailure(error, INSTANCE_CODES);
}

/**
 * Parses action parameters (the engine passes them as rendered from the mapping table) into the
 * action's typed shape, or throws a permanent `servicenow.invalid_params` listing every problem.
 */
export function parseParams<T>(schema: z.ZodType<T>, params: unknown, action: string): T {
  const parsed = schema.safeParse(params);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`);
  throw new ConnectorError(
    CONNECTOR,
    'permanent',
    'invalid_params',
    `${CONNECTOR}.${action} parameters are invalid: ${problems.join('; ')}`,
    { details: { problems } },
  );
}
