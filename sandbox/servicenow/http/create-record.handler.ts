import type { RequestHandler } from 'express';
import { requestUser } from './request-guards';
import { bodyRecord, paramsOf, recordResult, routeParam, sendWritten, type NowApiDeps } from './now-api';

/** `POST /api/now/table/{table}`: inserts one record; 201 with `Location` and the record (docs/servicenow-behaviour.md §1.1). */
export function createRecord(deps: NowApiDeps): RequestHandler {
  return (req, res) => {
    const table = routeParam(req, 'table');
    const params = paramsOf(deps, req);
    const row = deps.service.insert(table, bodyRecord(req), {
      user: requestUser(res.locals),
      inputDisplayValue: params.inputDisplayValue,
    });
    res.set('Location', `${deps.baseUrl(req)}/api/now/table/${table}/${row.sys_id}`);
    sendWritten(res, req, 201, recordResult(deps, req, row, params));
  };
}
