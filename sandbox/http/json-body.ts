import type { Request } from 'express';

/**
 * True when a request carries a non-empty body that is not JSON. An empty body (`Content-Length: 0`,
 * as clients send for a POST without data) is no body at all, whatever its declared type.
 */
export function hasNonJsonBody(req: Request): boolean {
  const length = req.get('Content-Length');
  const empty = req.get('Transfer-Encoding') === undefined && (length === undefined || Number(length) === 0);
  return !empty && req.is(['application/json', '+json']) === false;
}
