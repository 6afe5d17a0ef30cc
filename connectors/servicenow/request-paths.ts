import { ConnectorError } from '../../src/errors';
import { CONNECTOR } from './errors';
import {
  asDateTime,
  asInt,
  fieldNameSchema,
  queryValue,
  rawValue,
  tableNameSchema,
  type AttachmentInfo,
  type SnRecord,
} from './schemas';

/**
 * Paths, parameters and argument checks shared by the client's own calls and the calls it carries
 * inside a batch (batch-items.ts): both must refuse the same bad input before anything is sent.
 */

const SAFE_PATH_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Fields asked for when the caller names none: enough to know which version was touched. */
export const DEFAULT_FIELDS = ['sys_id', 'sys_mod_count', 'sys_updated_on'] as const;

export function badArgument(message: string): ConnectorError {
  return new ConnectorError(CONNECTOR, 'permanent', 'bad_request', message);
}

export function tableName(table: string): string {
  if (!tableNameSchema.safeParse(table).success) throw badArgument(`${JSON.stringify(table)} is not a table name`);
  return table;
}

export function pathId(id: string): string {
  if (!SAFE_PATH_ID.test(id)) throw badArgument(`${JSON.stringify(id.slice(0, 80))} is not a sys_id`);
  return id;
}

export function recordPath(table: string, sysId: string): string {
  return `/api/now/table/${tableName(table)}/${pathId(sysId)}`;
}

export function fieldList(fields: readonly string[] | undefined): string {
  const list = fields && fields.length > 0 ? fields : DEFAULT_FIELDS;
  for (const f of list)
    if (!fieldNameSchema.safeParse(f).success) throw badArgument(`${JSON.stringify(f)} is not a field name`);
  return list.join(',');
}

export function writeParams(options: { fields?: readonly string[] }): Record<string, string> {
  return { sysparm_fields: fieldList(options.fields), sysparm_exclude_reference_link: 'true' };
}

/** The Attachment API's upload parameters (docs/servicenow-behaviour.md §6.2). */
export function attachmentParams(table: string, sysId: string, fileName: string): Record<string, string> {
  return { table_name: tableName(table), table_sys_id: pathId(sysId), file_name: fileName };
}

/** Parameters of `GET /api/now/attachment` for one record's attachments, newest first (optionally by name or content hash). */
export function attachmentListParams(
  table: string,
  sysId: string,
  options: { fileName?: string; hash?: string; limit?: number },
): Record<string, string> {
  const conditions = [`table_name=${queryValue(tableName(table))}`, `table_sys_id=${queryValue(pathId(sysId))}`];
  if (options.fileName !== undefined) conditions.push(`file_name=${queryValue(options.fileName)}`);
  if (options.hash !== undefined) conditions.push(`hash=${queryValue(options.hash)}`);
  return {
    sysparm_query: `${conditions.join('^')}^ORDERBYDESCsys_created_on`,
    sysparm_limit: String(options.limit ?? 20),
  };
}

/** Refuses, before sending anything, a file above `maxBytes`, an unusable name or a content type that is no MIME type. */
export function checkAttachment(fileName: string, contentType: string, bytes: Uint8Array, maxBytes: number): void {
  if (bytes.byteLength > maxBytes) {
    throw new ConnectorError(
      CONNECTOR,
      'permanent',
      'attachment_too_large',
      `attachment ${fileName} is ${bytes.byteLength} bytes; the limit is ${maxBytes}`,
      {
        details: { fileName, sizeBytes: bytes.byteLength, maxBytes: maxBytes },
      },
    );
  }
  if (!fileName || fileName.length > 255 || /[\u0000-\u001f/\\]/.test(fileName))
    throw badArgument(`file name ${JSON.stringify(fileName.slice(0, 80))} is not acceptable`);
  if (!/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(contentType))
    throw badArgument(`content type ${JSON.stringify(contentType.slice(0, 80))} is not a MIME type`);
}

export function toAttachment(row: SnRecord): AttachmentInfo {
  return {
    sysId: rawValue(row.sys_id) ?? '',
    fileName: rawValue(row.file_name) ?? '',
    contentType: rawValue(row.content_type) ?? '',
    sizeBytes: asInt(row.size_bytes),
    tableName: rawValue(row.table_name) ?? '',
    tableSysId: rawValue(row.table_sys_id) ?? '',
    downloadLink: rawValue(row.download_link) ?? '',
    createdOn: asDateTime(row.sys_created_on),
    hash: rawValue(row.hash) ?? '',
  };
}
