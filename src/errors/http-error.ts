import type { ErrorRequestHandler, Response } from 'express';
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

export function sendError(res: Response, status: number, code: string, message: string, details?: unknown): void {
  res
    .status(status)
    .json({ error: { code, message: redactText(message), ...(details === undefined ? {} : { details }) } });
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
    const status = statusOf(err);
    if (status === 500)
      logger.error('request failed', { method: req.method, path: req.path, error: (err as Error).message });
    const code = err instanceof SnowlineError ? err.code : 'internal';
    const message = status === 500 && !(err instanceof SnowlineError) ? 'internal error' : (err as Error).message;
    sendError(res, status, code, message, err instanceof ValidationError ? err.problems : undefined);
  };
}
