import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { ConflictError, ForbiddenError, NotFoundError, SnowlineError, ValidationError } from '.';
import type { Logger } from '../observability/logger';
import { redactText } from '../observability/redact';

/** The one place where domain errors become HTTP statuses. Never leaks a stack trace. */
export function statusOf(err: unknown): number {
  if (err instanceof ValidationError) return 400;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ConflictError) return 409;
  if (err instanceof ForbiddenError) return 403;
  if (err instanceof SnowlineError && err.code.startsWith('auth.')) return err.code === 'auth.forbidden' ? 403 : 401;
  return 500;
}

/**
 * Writes a JSON answer straight to the response (Express's or Node's own): Express's `res.json` would
 * also hash the body for an ETag, of no use to an API or webhook caller.
 */
export function sendJson(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, code: string, message: string, details?: unknown): void {
  sendJson(res, status, {
    error: { code, message: redactText(message), ...(details === undefined ? {} : { details }) },
  });
}

/** Answers a request that failed with `err`: its status, code and message, never a stack trace. */
export function sendFailure(
  res: ServerResponse,
  err: unknown,
  logger: Logger,
  request: { method?: string; path: string },
): void {
  const status = statusOf(err);
  if (status === 500)
    logger.error('request failed', { method: request.method, path: request.path, error: (err as Error).message });
  const code = err instanceof SnowlineError ? err.code : 'internal';
  const message = status === 500 && !(err instanceof SnowlineError) ? 'internal error' : (err as Error).message;
  sendError(res, status, code, message, err instanceof ValidationError ? err.problems : undefined);
}

/** Express error middleware: maps errors, including body-parser's (size, syntax), to clean answers. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const bodyError = err as { type?: string; status?: number; limit?: number };
    if (bodyError.type === 'entity.too.large')
      return sendError(res, 413, 'request.too_large', `body exceeds ${bodyError.limit} bytes`);
    if (bodyError.type === 'entity.parse.failed')
      return sendError(res, 400, 'request.malformed_json', 'body: not valid JSON');
    if (bodyError.type && bodyError.status && bodyError.status < 500)
      return sendError(res, bodyError.status, 'request.invalid', String(err.message));
    sendFailure(res, err, logger, req);
  };
}
