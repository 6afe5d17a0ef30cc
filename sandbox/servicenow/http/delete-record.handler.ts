import type { RequestHandler } from 'express';
import { routeParam, type NowApiDeps } from './now-api';

/** `DELETE /api/now/table/{table}/{sys_id}`: 204 without a body, 404 when there is no record (docs/servicenow-behaviour.md §1.1). */
export function deleteRecord(deps: NowApiDeps): RequestHandler {
  return (req, res) => {
    deps.service.delete(routeParam(req, 'table'), routeParam(req, 'sys_id'));
    res.status(204).end();
  };
}
