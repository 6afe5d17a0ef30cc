import type { RequestHandler } from 'express';
import { NotFoundError } from '../../../src/errors';
import { findRecords } from '../record-query';
import { renderRecord } from '../record-view';
import { userByName } from '../sys-user';
import { requestUser } from './request-guards';
import { paramsOf, routeParam, sendPage, viewContext, type NowApiDeps } from './now-api';

/**
 * `GET /api/now/table/{table}` (docs/servicenow-behaviour.md §1.1–1.3): one page of the matching records, `X-Total-Count` of all
 * of them and the `Link` header. The v1 API answered 404 where later versions give `[]`.
 */
export function listRecords(deps: NowApiDeps, version: 'v1' | 'latest'): RequestHandler {
  return (req, res) => {
    const table = routeParam(req, 'table');
    deps.service.requireTable(table);
    const params = paramsOf(deps, req);
    const userSysId = userByName(deps.store, requestUser(res.locals))?.sys_id;
    const rows = findRecords(
      deps.store,
      table,
      { encodedQuery: params.query, nameValues: params.nameValues },
      { now: deps.now(), userSysId },
    );
    if (version === 'v1' && rows.length === 0) throw new NotFoundError('record', table);
    const context = viewContext(deps, req);
    sendPage(deps, req, res, rows, params, (row) => renderRecord(context, table, row, params.view));
  };
}
