import { attachmentListParams, attachmentParams, checkAttachment, pathId, toAttachment } from './request-paths';
import { resultObject, unexpected, type InstanceRequests } from './instance-requests';
import type { AttachmentInfo, SnRecord } from './schemas';

/** The Attachment API (docs/servicenow-behaviour.md §6.2). */

/**
 * `POST /api/now/attachment/file?table_name=…&table_sys_id=…&file_name=…` with the raw bytes.
 * Refuses files above `attachmentMaxBytes` before sending anything. Not idempotent.
 */
export async function attach(
  api: InstanceRequests,
  table: string,
  sysId: string,
  fileName: string,
  contentType: string,
  bytes: Uint8Array,
  options: { signal?: AbortSignal } = {},
): Promise<AttachmentInfo> {
  checkAttachment(fileName, contentType, bytes, api.config.attachmentMaxBytes);
  const res = await api.request({
    method: 'POST',
    path: '/api/now/attachment/file',
    params: attachmentParams(table, sysId, fileName),
    body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    contentType,
    idempotent: false,
    signal: options.signal,
  });
  return toAttachment(resultObject(res, 'POST attachment'));
}

/** Attachments of one record, newest first (`GET /api/now/attachment?sysparm_query=…`). */
export async function listAttachments(
  api: InstanceRequests,
  table: string,
  sysId: string,
  options: { fileName?: string; hash?: string; limit?: number; signal?: AbortSignal } = {},
): Promise<AttachmentInfo[]> {
  const res = await api.request({
    method: 'GET',
    path: '/api/now/attachment',
    params: attachmentListParams(table, sysId, options),
    idempotent: true,
    signal: options.signal,
  });
  const result = (res.data as { result?: unknown } | undefined)?.result;
  if (!Array.isArray(result)) throw unexpected('GET attachments', res);
  return (result as SnRecord[]).map(toAttachment);
}

/** Metadata of one attachment (`GET /api/now/attachment/{sys_id}`). */
export async function getAttachment(
  api: InstanceRequests,
  sysId: string,
  options: { signal?: AbortSignal } = {},
): Promise<AttachmentInfo> {
  const res = await api.request({
    method: 'GET',
    path: `/api/now/attachment/${pathId(sysId)}`,
    idempotent: true,
    signal: options.signal,
  });
  return toAttachment(resultObject(res, 'GET attachment'));
}
