import type { RequestHandler } from 'express';
import { requestUser } from './request-guards';
import { bodyRecord, paramsOf, recordResult, routeParam, sendWritten, type NowApiDeps } from './now-api';

/** `PUT` and `PATCH /api/now/table/{table}/{sys_id}`: both a partial update; 200 with the record (docs/servicenow-behaviour.md §1.1). */
export function updateRecord(deps: NowApiDeps): RequestHandler {
  return (req, res) => {
    const params = paramsOf(deps, req);
    const ctx = { user: requestUser(res.locals), inputDisplayValue: params.inputDisplayValue };
    const row = deps.service.update(routeParam(req, 'table'), routeParam(req, 'sys_id'), bodyRecord(req), ctx);
    sendWritten(res, req, 200, recordResult(deps, req, row, params));
  };
}
