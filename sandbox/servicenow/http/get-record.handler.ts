import type { RequestHandler } from 'express';
import { paramsOf, recordResult, routeParam, type NowApiDeps } from './now-api';

/** `GET /api/now/table/{table}/{sys_id}`: 200 with the record, 404 when there is none (docs/servicenow-behaviour.md §1.1). */
export function getRecord(deps: NowApiDeps): RequestHandler {
  return (req, res) => {
    const row = deps.service.get(routeParam(req, 'table'), routeParam(req, 'sys_id'));
    res.json(recordResult(deps, req, row, paramsOf(deps, req)));
  };
}
