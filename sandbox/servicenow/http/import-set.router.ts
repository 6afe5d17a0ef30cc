import { Router } from 'express';
import { ValidationError } from '../../../src/errors';
import type { ImportSetService } from '../import-sets';
import { bodyRecord, paramsOf, type NowApiDeps } from './now-api';
import { sendFailure } from './failure-envelope';
import { requestUser } from './request-guards';

/** Largest `insertMultiple` batch the sandbox takes [sandbox choice]. */
const MAX_RECORDS = 1000;

/** docs/servicenow-behaviour.md §6.3 Import Set API under `/api/now/import`. JSON only; no dot-walking. */
export function importSetRouter(deps: NowApiDeps, imports: ImportSetService): Router {
  const router = Router();
  const ctx = (req: Parameters<typeof paramsOf>[1], locals: Record<string, unknown>) => ({
    user: requestUser(locals),
    inputDisplayValue: paramsOf(deps, req).inputDisplayValue,
  });

  router.post('/:staging/insertMultiple', (req, res) => {
    const records = (req.body as { records?: unknown } | undefined)?.records;
    if (
      !Array.isArray(records) ||
      records.length === 0 ||
      records.length > MAX_RECORDS ||
      records.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))
    ) {
      throw new ValidationError('request body', [
        { path: 'records', message: `expected 1..${MAX_RECORDS} JSON objects` },
      ]);
    }
    const staging = String(req.params.staging);
    const { importSetId, rowIds } = imports.insertMultiple(
      staging,
      records as Record<string, unknown>[],
      ctx(req, res.locals),
      deps.baseUrl(req),
    );
    // [inf] the answer names the import set; rows are transformed afterwards.
    res
      .status(201)
      .json({ import_set_id: importSetId, staging_table: staging, records: rowIds.map((sys_id) => ({ sys_id })) });
  });
  router.post('/:staging', (req, res) => {
    const staging = String(req.params.staging);
    const { sysId, answer } = imports.insert(staging, bodyRecord(req), ctx(req, res.locals), deps.baseUrl(req));
    res.set('Location', `${deps.baseUrl(req)}/api/now/import/${staging}/${sysId}`);
    res.status(201).json(answer);
  });
  router.get('/:staging/:sys_id', (req, res) => {
    const answer = imports.get(String(req.params.staging), String(req.params.sys_id));
    if (!answer)
      return sendFailure(res, 404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
    res.json(answer);
  });
  return router;
}
