import { ConnectorError, SnowlineError, type FailureClass } from '../../src/errors';

/**
 * What every HTTP-speaking connector needs to tell a network failure's class: whether the request
 * never left (safe to repeat), or broke off after it may have been delivered (ambiguous).
 */

/** Network error codes raised before any byte of the request reached the server. */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Codes of a broken or timed-out exchange common to all clients; each connector adds its client's own. */
export const BROKEN_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'ESOCKETTIMEDOUT',
]);

/** The `code` of a network error from axios / node, if any. */
export function networkCode(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  if (typeof e.code === 'string') return e.code;
  if (e.cause && typeof e.cause.code === 'string') return e.cause.code;
  return undefined;
}

/**
 * A connector's `classify`: ConnectorErrors say it themselves; other Snowline errors by their
 * `retryable` flag; a raw network error by its code; any other error is a bug or bad input, which
 * repeating cannot fix.
 */
export function classifyFailure(
  error: unknown,
  codes: { notSent: ReadonlySet<string>; broken: ReadonlySet<string> },
): FailureClass {
  if (error instanceof ConnectorError) return error.failure;
  if (error instanceof SnowlineError) return error.retryable ? 'transient' : 'permanent';
  const code = networkCode(error);
  if (code && codes.notSent.has(code)) return 'transient';
  if (code && codes.broken.has(code)) return 'ambiguous';
  return 'permanent';
}

/** What a failure to get any answer says about the request: sent or not, and so what it may cost to repeat. */
export interface NetworkVerdict {
  failure: 'transient' | 'ambiguous';
  code: 'unavailable' | 'ambiguous';
  /** The error's network code, `UNKNOWN` when it has none. */
  networkCode: string;
  /** Nothing reached the backend: repeating the request is safe whatever it is. */
  notSent: boolean;
}

/**
 * Classifies a network failure: not sent (by `notSentCodes`) or an idempotent request is transient;
 * a non-idempotent request that broke off after it may have been delivered is ambiguous.
 */
export function networkFailure(
  error: unknown,
  idempotent: boolean,
  notSentCodes: ReadonlySet<string> = NOT_SENT_CODES,
): NetworkVerdict {
  const code = networkCode(error) ?? 'UNKNOWN';
  const notSent = notSentCodes.has(code);
  if (notSent || idempotent) return { failure: 'transient', code: 'unavailable', networkCode: code, notSent };
  return { failure: 'ambiguous', code: 'ambiguous', networkCode: code, notSent };
}

/** How a connector words a network failure; the class and code are the shared verdict's. */
export interface NetworkWording {
  /** Not sent, or safe to repeat; `reason` is the error's own message. */
  transient(verdict: NetworkVerdict, reason: string): string;
  /** Broke off after a non-idempotent request was sent: it may have taken effect. */
  ambiguous(verdict: NetworkVerdict): string;
}

/**
 * A network failure as the connector's ConnectorError: the shared verdict, the connector's words,
 * `details` (where the request went) plus the network code and, when nothing was sent, `notSent`.
 */
export function networkError(
  connector: string,
  error: unknown,
  request: { idempotent: boolean; details: Record<string, unknown> },
  wording: NetworkWording,
  notSentCodes?: ReadonlySet<string>,
): ConnectorError {
  const verdict = networkFailure(error, request.idempotent, notSentCodes);
  const reason = error instanceof Error ? error.message : String(error);
  const message = verdict.failure === 'transient' ? wording.transient(verdict, reason) : wording.ambiguous(verdict);
  const details = {
    ...request.details,
    networkCode: verdict.networkCode,
    ...(verdict.notSent ? { notSent: true } : {}),
  };
  return new ConnectorError(connector, verdict.failure, verdict.code, message, { details, cause: error });
}
