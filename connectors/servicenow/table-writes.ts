import { importSetAnswerSchema, type ImportSetResult, type SnRecord } from './schemas';
import { recordPath, tableName, writeParams } from './request-paths';
import { resultObject, unexpected, type InstanceRequests } from './instance-requests';

/** Table API writes, the IRE and the Import Set API (docs/servicenow-behaviour.md §6.3). */

export interface WriteOptions {
  /** Columns to return from the written record; default `sys_id,sys_mod_count,sys_updated_on`. */
  fields?: readonly string[];
  signal?: AbortSignal;
}

/** `POST /api/now/table/{table}`: inserts one record. Not idempotent: never retried once sent. */
export async function insert(
  api: InstanceRequests,
  table: string,
  fields: Record<string, string>,
  options: WriteOptions = {},
): Promise<SnRecord> {
  const res = await api.request({
    method: 'POST',
    path: `/api/now/table/${tableName(table)}`,
    params: writeParams(options),
    body: fields,
    idempotent: false,
    signal: options.signal,
  });
  return resultObject(res, 'POST record');
}

/**
 * `PATCH /api/now/table/{table}/{sys_id}`: updates the given fields. Idempotent (so retried)
 * unless it carries a journal field (`work_notes`, `comments`): each such PATCH appends an entry.
 */
export async function update(
  api: InstanceRequests,
  table: string,
  sysId: string,
  fields: Record<string, string>,
  options: WriteOptions = {},
): Promise<SnRecord> {
  const journal = Object.keys(fields).some((f) => api.journalFields.has(f));
  const res = await api.request({
    method: 'PATCH',
    path: recordPath(table, sysId),
    params: writeParams(options),
    body: fields,
    idempotent: !journal,
    signal: options.signal,
  });
  return resultObject(res, 'PATCH record');
}

/** `DELETE /api/now/table/{table}/{sys_id}` (204). */
export async function deleteRecord(
  api: InstanceRequests,
  table: string,
  sysId: string,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  await api.request({ method: 'DELETE', path: recordPath(table, sysId), idempotent: true, signal: options.signal });
}

/**
 * `POST /api/now/identifyreconcile` (or `/identifyreconcile/query`, a dry run that commits
 * nothing), https://www.servicenow.com/docs/r/api-reference/rest-apis/c_IdentifyReconcileAPI.html. Returns the answer's `result`. Safe to repeat: the IRE
 * identifies CIs, so the same payload twice leaves the CMDB as once.
 */
export async function identifyReconcile(
  api: InstanceRequests,
  payload: unknown,
  options: { dataSource: string; dryRun?: boolean; signal?: AbortSignal },
): Promise<unknown> {
  const path = options.dryRun ? '/api/now/identifyreconcile/query' : '/api/now/identifyreconcile';
  const res = await api.request({
    method: 'POST',
    path,
    params: { sysparm_data_source: options.dataSource },
    body: payload,
    idempotent: true,
    signal: options.signal,
  });
  const data = res.data as { result?: unknown } | undefined;
  if (!data || typeof data !== 'object' || data.result === undefined) throw unexpected(`POST ${path}`, res);
  return data.result;
}

/**
 * `POST /api/now/import/{staging_table}`: stages one row and runs its transform map
 * synchronously. A row the transform refused comes back with `status: 'error'` inside a 201, so
 * callers must look at each result. Not idempotent unless the transform map coalesces.
 */
export async function importRecord(
  api: InstanceRequests,
  stagingTable: string,
  fields: Record<string, string>,
  options: { signal?: AbortSignal } = {},
): Promise<ImportSetResult> {
  const res = await api.request({
    method: 'POST',
    path: `/api/now/import/${tableName(stagingTable)}`,
    body: fields,
    idempotent: false,
    signal: options.signal,
  });
  const parsed = importSetAnswerSchema.safeParse(res.data);
  if (!parsed.success) throw unexpected('POST import', res);
  return parsed.data;
}
