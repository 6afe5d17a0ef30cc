import express, { Router, type Request } from 'express';
import { ValidationError } from '../../../src/errors';
import { findRecords } from '../record-query';
import type { RecordValues } from '../record-store';
import { requestUser } from './request-guards';
import { paramsOf, routeParam, sendPage, type NowApiDeps } from './now-api';

/** Largest accepted file. */
const FILE_LIMIT = '10mb';

/**
 * docs/servicenow-behaviour.md §6.2 Attachment API: upload raw bytes, list and read metadata, download, delete. (The multipart
 * `POST /attachment/upload` variant is not emulated.)
 */
export function attachmentRouter(deps: NowApiDeps): Router {
  const router = Router();
  const show = (req: Request) => (row: RecordValues) => deps.attachments.view(row, deps.baseUrl(req));

  router.post('/file', express.raw({ type: () => true, limit: FILE_LIMIT }), (req, res) => {
    const meta = deps.attachments.add(uploadOf(req), requestUser(res.locals));
    res.set('Location', `${deps.baseUrl(req)}/api/now/attachment/${meta.sys_id}`);
    res.status(201).json({ result: show(req)(meta) });
  });
  router.get('/', (req, res) => {
    const params = paramsOf(deps, req);
    const rows = findRecords(
      deps.store,
      'sys_attachment',
      { encodedQuery: params.query, nameValues: {} },
      { now: deps.now() },
    );
    sendPage(deps, req, res, rows, params, show(req));
  });
  router.get('/:sys_id', (req, res) => {
    res.json({ result: show(req)(deps.attachments.get(routeParam(req, 'sys_id'))) });
  });
  router.get('/:sys_id/file', (req, res) => {
    const sysId = routeParam(req, 'sys_id');
    const bytes = deps.attachments.content(sysId);
    res.type(deps.attachments.get(sysId).content_type || 'application/octet-stream').send(bytes);
  });
  router.delete('/:sys_id', (req, res) => {
    deps.attachments.remove(routeParam(req, 'sys_id'));
    res.status(204).end();
  });
  return router;
}

/** The upload's target, name and type from the query string and headers, all mandatory (docs/servicenow-behaviour.md §6.2). */
function uploadOf(req: Request) {
  const search = new URL(req.originalUrl, 'http://sandbox').searchParams;
  const tableName = search.get('table_name') ?? '';
  const tableSysId = search.get('table_sys_id') ?? '';
  const fileName = search.get('file_name') ?? '';
  const contentType = req.get('Content-Type') ?? '';
  const missing = Object.entries({
    table_name: tableName,
    table_sys_id: tableSysId,
    file_name: fileName,
    'Content-Type': contentType,
  }).filter(([, v]) => !v);
  if (missing.length > 0)
    throw new ValidationError(
      'attachment upload',
      missing.map(([path]) => ({ path, message: 'is required' })),
    );
  // A caller that left before its upload was read loses the body: Node discards it and the parser
  // reads none. The instance never stores such an upload as an empty file.
  const sent = req.get('Transfer-Encoding') !== undefined || Number(req.get('Content-Length') ?? 0) > 0;
  if (sent && !Buffer.isBuffer(req.body))
    throw new ValidationError('attachment upload', [{ path: 'body', message: 'was never read: its caller had gone' }]);
  const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  return { tableName, tableSysId, fileName, contentType, bytes };
}
