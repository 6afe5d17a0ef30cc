import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'winston';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/errors';

/**
 * Errors in the shapes of the controller (Django REST framework): `{"detail": …}` for 404/405,
 * `{"<field>": ["<message>"]}` for invalid input.
 */
export function awxErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof NotFoundError) {
      res.status(404).json({ detail: err.details.kind === 'page' ? 'Invalid page.' : 'Not found.' });
    } else if (err instanceof ValidationError) {
      res.status(400).json(Object.fromEntries(err.problems.map((p) => [p.path || 'detail', [p.message]])));
    } else if (err instanceof ConflictError) {
      res.status(405).json({ detail: err.message });
    } else if ((err as { type?: string }).type === 'entity.parse.failed') {
      res.status(400).json({ detail: `JSON parse error - ${(err as Error).message}` });
    } else {
      logger.error('sandbox controller failed', { error: (err as Error).message, stack: (err as Error).stack });
      res.status(500).json({ detail: 'A server error has occurred.' });
    }
  };
}
