import { ConnectorError } from '../../src/errors';
import type { BatchItem } from './client';
import { CONNECTOR } from './errors';
import {
  attachmentListParams,
  attachmentParams,
  checkAttachment,
  recordPath,
  toAttachment,
  writeParams,
} from './request-paths';
import type { AttachmentInfo, SnRecord } from './schemas';

/**
 * The client's calls as Batch API items (docs/servicenow-behaviour.md §6.5), built with the same
 * checks as when they go alone, and their answers read the same way.
 */

/** `PATCH /api/now/table/{table}/{sys_id}` as an item. */
export function updateItem(
  id: string,
  table: string,
  sysId: string,
  fields: Record<string, string>,
  options: { fields?: readonly string[] } = {},
): BatchItem {
  return { id, method: 'PATCH', url: withQuery(recordPath(table, sysId), writeParams(options)), body: fields };
}

/** `GET /api/now/attachment?sysparm_query=…` for one record as an item. */
export function listAttachmentsItem(
  id: string,
  table: string,
  sysId: string,
  options: { fileName?: string; hash?: string; limit?: number } = {},
): BatchItem {
  return { id, method: 'GET', url: withQuery('/api/now/attachment', attachmentListParams(table, sysId, options)) };
}

/** `POST /api/now/attachment/file?…` with the raw bytes as an item; refuses what the client's `attach` refuses. */
export function attachItem(
  id: string,
  table: string,
  sysId: string,
  file: { fileName: string; contentType: string; bytes: Uint8Array },
  maxBytes: number,
): BatchItem {
  checkAttachment(file.fileName, file.contentType, file.bytes, maxBytes);
  return {
    id,
    method: 'POST',
    url: withQuery('/api/now/attachment/file', attachmentParams(table, sysId, file.fileName)),
    file: { bytes: file.bytes, contentType: file.contentType },
  };
}

/** The record a write item answered with (its `result`). */
export function recordOfItem(body: unknown): SnRecord {
  const result = (body as { result?: unknown } | undefined)?.result;
  if (!result || typeof result !== 'object' || Array.isArray(result)) throw noResult('batch item write');
  return result as SnRecord;
}

/** The attachments a list item answered with. */
export function attachmentsOfItem(body: unknown): AttachmentInfo[] {
  const result = (body as { result?: unknown } | undefined)?.result;
  if (!Array.isArray(result)) throw noResult('batch item attachment list');
  return (result as SnRecord[]).map(toAttachment);
}

function withQuery(path: string, params: Record<string, string>): string {
  return `${path}?${new URLSearchParams(params).toString()}`;
}

/** A 2xx item without a `result`: as for a single call, a write may have happened. */
function noResult(what: string): ConnectorError {
  return new ConnectorError(CONNECTOR, 'ambiguous', 'ambiguous', `ServiceNow answered a ${what} without a result`);
}
