import type { Request, Response } from 'express';
import { ValidationError } from '../../../src/errors';
import type { BaseUrlOf } from '../../http/base-url';
import type { AttachmentService } from '../attachments';
import type { RecordStore, RecordValues } from '../record-store';
import { renderRecord, type ViewContext } from '../record-view';
import { userTimeZone } from '../user-time-zone';
import { requestUser } from './request-guards';
import type { TableService } from '../table-service';
import { paginationLinks } from './pagination-links';
import { readTableParams, type TableParams } from './table-params';

/** What the `/api/now` handlers (Table API, Attachment API) are built from. */
export interface NowApiDeps {
  service: TableService;
  attachments: AttachmentService;
  store: RecordStore;
  baseUrl: BaseUrlOf;
  now(): Date;
}

/** A path parameter of a Table API route (`table`, `sys_id`). */
export function routeParam(req: Request, name: 'table' | 'sys_id'): string {
  const value = req.params[name];
  return typeof value === 'string' ? value : '';
}

/** The request's full URL, as the instance would see it. */
function requestUrl(deps: NowApiDeps, req: Request): URL {
  return new URL(`${deps.baseUrl(req)}${req.originalUrl}`);
}

export function paramsOf(deps: NowApiDeps, req: Request): TableParams {
  return readTableParams(requestUrl(deps, req).searchParams);
}

/** The `{"result": record}` body shown under the request's read parameters. */
export function recordResult(deps: NowApiDeps, req: Request, row: RecordValues, params: TableParams) {
  const table = routeParam(req, 'table');
  return { result: renderRecord(viewContext(deps, req), table, row, params.view) };
}

/** How records are shown to this request's user: links on the public address, times in the user's zone. */
export function viewContext(deps: NowApiDeps, req: Request): ViewContext {
  const user = requestUser((req.res?.locals ?? {}) as Record<string, unknown>);
  return { store: deps.store, baseUrl: deps.baseUrl(req), timeZone: userTimeZone(deps.store, user) };
}

/**
 * Sends one page of a list: `{"result": [...]}` with `X-Total-Count` of all rows and the `Link`
 * header (docs/servicenow-behaviour.md §1.3), each row shown by `show`.
 */
export function sendPage(
  deps: NowApiDeps,
  req: Request,
  res: Response,
  rows: RecordValues[],
  params: TableParams,
  show: (row: RecordValues) => unknown,
): void {
  // [inf] sysparm_no_count: the count is skipped, so no X-Total-Count is sent.
  if (!params.noCount) res.set('X-Total-Count', String(rows.length));
  const links = params.suppressPaginationHeader
    ? undefined
    : paginationLinks(requestUrl(deps, req), { offset: params.offset, limit: params.limit, total: rows.length });
  if (links) res.set('Link', links);
  res.json({ result: rows.slice(params.offset, params.offset + params.limit).map(show) });
}

/** Sends a written record, or only the status when the client sent `X-no-response-body: true` (docs/servicenow-behaviour.md §1.1). */
export function sendWritten(res: Response, req: Request, status: number, body: unknown): void {
  if (req.get('X-no-response-body')?.toLowerCase() === 'true') {
    res.status(status).end();
    return;
  }
  res.status(status).json(body);
}

/** The record of a write body: one object; of an array only the first element counts (docs/servicenow-behaviour.md §1.1). */
export function bodyRecord(req: Request): Record<string, unknown> {
  const body: unknown = Array.isArray(req.body) ? req.body[0] : (req.body ?? {});
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('request body', [{ path: '', message: 'expected a JSON object' }]);
  }
  return body as Record<string, unknown>;
}
