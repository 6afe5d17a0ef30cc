import type { Request, Response } from 'express';
import { NotFoundError } from '../../../src/errors';

/** The numeric `{id}` of a controller path; a non-number is 404, as AWX's URL patterns make it. */
export function idParam(req: Request): number {
  const text = req.params.id;
  const id = typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : NaN;
  if (Number.isNaN(id)) throw new NotFoundError('object', String(text));
  return id;
}

/** The request's query string as URLSearchParams (filters, paging). */
export function searchOf(req: Request): URLSearchParams {
  return new URL(req.originalUrl, 'http://sandbox').searchParams;
}

/** A POST body as an object; none at all counts as `{}`. */
export function bodyObject(req: Request): Record<string, unknown> {
  const body: unknown = req.body ?? {};
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** The API root the request came through: `/api/v2/`, or `/api/controller/v2/` through the AAP gateway. */
export function apiRoot(res: Response): string {
  return String(res.locals.apiRoot);
}
