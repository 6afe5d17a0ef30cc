/**
 * The base of every error Snowline throws on purpose.
 *
 * An error carries retry semantics, not HTTP codes: a stable dotted `code` that logs, metrics and
 * API clients can switch on (`servicenow.rate_limited`), whether repeating the operation may succeed
 * (`retryable`), and, when the remote side said so, how long to wait first (`retryAfterMs`).
 * Only the API's error handler turns these into HTTP statuses.
 */
export class SnowlineError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** Structured, secret-free facts for logs and API answers. */
  readonly details: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; retryAfterMs?: number; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details ?? {};
  }
}
