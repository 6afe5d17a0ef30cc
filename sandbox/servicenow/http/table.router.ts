import { Router } from 'express';
import { createRecord } from './create-record.handler';
import { deleteRecord } from './delete-record.handler';
import { getRecord } from './get-record.handler';
import { listRecords } from './list-records.handler';
import { methodNotAllowed } from './request-guards';
import type { NowApiDeps } from './now-api';
import { updateRecord } from './update-record.handler';

/** The Table API routes of one API version (docs/servicenow-behaviour.md §1.1); HEAD is answered by the GET routes without a body. */
export function tableRouter(deps: NowApiDeps, version: 'v1' | 'latest'): Router {
  const router = Router();
  router.route('/:table').get(listRecords(deps, version)).post(createRecord(deps)).all(methodNotAllowed);
  router
    .route('/:table/:sys_id')
    .get(getRecord(deps))
    .put(updateRecord(deps))
    .patch(updateRecord(deps))
    .delete(deleteRecord(deps))
    .all(methodNotAllowed);
  return router;
}
