import type { z } from 'zod';
import { ConnectorError, type FailureClass } from '../../src/errors';
import {
  BROKEN_CODES,
  classifyFailure,
  networkError,
  NOT_SENT_CODES,
  retryAfterMs,
  statusError,
  type StatusCode,
} from '../transport';

/**
 * How controller (AWX / AAP) failures become `ConnectorError`s. Every code is prefixed `ansible.`:
 *
 * | code | failure | when |
 * |---|---|---|
 * | `prompt_disabled` | permanent | a launch field the template would silently ignore (its `ask_*_on_launch` is off) |
 * | `not_a_prompt` | permanent | credentials for a workflow job template, which has no such prompt |
 * | `passwords_needed` / `variables_needed` / `inventory_needed` | permanent | the template cannot start without them |
 * | `fields_ignored` | permanent | the controller started the job but listed `ignored_fields` (the job is cancelled) |
 * | `template_not_found` / `template_ambiguous` | permanent | the name matches no (workflow) job template, or several |
 * | `job_failed` | permanent | the job (or workflow job) ended `failed`, `error` or `canceled` |
 * | `invalid_params` | permanent | action parameters refused (limit pattern, extra_vars types and sizes) |
 * | `auth` / `forbidden` / `not_found` / `bad_request` | permanent | 401 / 403 / 404 / other 4xx |
 * | `rate_limited` | transient | 429 |
 * | `unavailable` | transient | 5xx or a network failure where repeating is safe |
 * | `ambiguous` | ambiguous | a launch may have started a job (connection broke after sending, or 5xx) |
 */
export const CONNECTOR = 'ansible';

export interface RequestFacts {
  method: string;
  path: string;
  idempotent: boolean;
}

/** A readable summary of an AWX error body (`{"detail": …}`, `{"error": …}` or field errors). */
export function awxMessage(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (!body || typeof body !== 'object') return '';
  const b = body as Record<string, unknown>;
  if (typeof b.detail === 'string') return b.detail;
  if (typeof b.error === 'string') return b.error;
  return Object.entries(b)
    .slice(0, 10)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('; ')
    .slice(0, 500);
}

/** What the controller's answer says, by the shared status classification (connectors/transport). */
const RESPONSE_MESSAGES: Record<StatusCode, (what: string, said: string, status: number) => string> = {
  auth: (what, said) => `the controller refused the credentials for ${what}: ${said}`,
  forbidden: (what, said) => `the controller forbade ${what}: ${said}`,
  not_found: (what, said) => `the controller found nothing at ${what}: ${said}`,
  rate_limited: (what, said) => `the controller is rate limiting ${what}: ${said}`,
  ambiguous: (what, said, status) =>
    `the controller answered ${status} to ${what}; a job may or may not have started: ${said}`,
  unavailable: (what, said) => `the controller is unavailable for ${what}: ${said}`,
  bad_request: (what, said) => `the controller rejected ${what}: ${said}`,
};

export function errorFromResponse(
  status: number,
  headers: Record<string, unknown>,
  body: unknown,
  request: RequestFacts,
  nowMs = Date.now(),
): ConnectorError {
  const said = awxMessage(body) || `HTTP ${status}`;
  const what = `${request.method} ${request.path}`;
  const details = { status, method: request.method, path: request.path, message: said };
  return statusError(
    CONNECTOR,
    status,
    { idempotent: request.idempotent, details },
    (code) => RESPONSE_MESSAGES[code](what, said, status),
    { retryAfterMs: status === 429 ? retryAfterMs(headers['retry-after'], nowMs) : undefined },
  );
}

const CONTROLLER_CODES = { notSent: NOT_SENT_CODES, broken: new Set([...BROKEN_CODES, 'ERR_CANCELED']) };

export function errorFromNetwork(error: unknown, request: RequestFacts): ConnectorError {
  const what = `${request.method} ${request.path}`;
  return networkError(
    CONNECTOR,
    error,
    { idempotent: request.idempotent, details: { method: request.method, path: request.path } },
    {
      transient: (_, reason) => `the controller could not be reached for ${what}: ${reason}`,
      ambiguous: (verdict) =>
        `connection to the controller broke during ${what} after the request was sent (${verdict.networkCode}); a job may or may not have started`,
    },
  );
}

/** The connector's `classify` (same rules as ServiceNow's: raw network errors are ambiguous). */
export function classifyError(error: unknown): FailureClass {
  return classifyFailure(error, CONTROLLER_CODES);
}

/** Parses action parameters or throws a permanent `ansible.invalid_params` listing every problem. */
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

/** A step's ref: the controller id of the job (or workflow job) it started. */
export function jobIdOf(ref: string): number {
  if (!/^[1-9]\d{0,12}$/.test(ref))
    throw new ConnectorError(
      CONNECTOR,
      'permanent',
      'bad_request',
      `${JSON.stringify(ref)} is not a controller job id`,
    );
  return Number(ref);
}
