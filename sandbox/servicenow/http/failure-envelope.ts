import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'winston';
import { NotFoundError, ValidationError } from '../../../src/errors';
import { AbortedWriteError } from '../errors/aborted-write.error';
import { DataPolicyError } from '../errors/data-policy.error';
import { InvalidTableError } from '../errors/invalid-table.error';
import { UnsupportedQueryError } from '../errors/unsupported-query.error';

/** docs/servicenow-behaviour.md §1.5: the body of every failed Table API call. */
export function sendFailure(res: Response, status: number, message: string, detail: string | null): void {
  res.status(status).json({ error: { message, detail }, status: 'failure' });
}

/** The statuses body-parser gives its own errors, by `type`. */
const BODY_ERRORS: Record<string, { status: number; detail: string }> = {
  'entity.parse.failed': { status: 400, detail: 'The payload is not valid JSON.' },
  'entity.too.large': { status: 413, detail: 'The payload is larger than 10 MiB.' },
  'encoding.unsupported': { status: 415, detail: 'The payload encoding is not supported.' },
  'charset.unsupported': { status: 415, detail: 'The payload charset is not supported.' },
};

/**
 * Turns errors into the failure envelope with the status and texts a real instance uses (docs/servicenow-behaviour.md §1.5).
 * Texts not captured from real instances are marked [inf].
 */
export function servicenowErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof InvalidTableError) return sendFailure(res, 400, err.message, null);
    // [inf] the wording: an instance refuses a query it cannot run with 400.
    if (err instanceof UnsupportedQueryError) return sendFailure(res, 400, 'Invalid query', err.message);
    if (err instanceof NotFoundError)
      return sendFailure(res, 404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
    if (err instanceof DataPolicyError || err instanceof AbortedWriteError)
      return sendFailure(res, 403, 'Operation Failed', err.message);
    // [inf] ServiceNow's wording for unreadable request bodies.
    if (err instanceof ValidationError) return sendFailure(res, 400, 'Exception while reading request', err.message);
    const bodyError = BODY_ERRORS[(err as { type?: string }).type ?? ''];
    if (bodyError) return sendFailure(res, bodyError.status, 'Exception while reading request', bodyError.detail);
    logger.error('sandbox Table API failed', { error: (err as Error).message, stack: (err as Error).stack });
    sendFailure(res, 500, 'Internal Server Error', null);
  };
}
