import type { RequestLimiter } from '../failover-limiter';
import { attach, getAttachment, listAttachments } from './attachments';
import { batch, type BatchItem, type BatchOutcome } from './batch-api';
import { InstanceRequests, type ServiceNowClientDeps } from './instance-requests';
import type {
  AttachmentInfo,
  ImportSetResult,
  JournalEntry,
  ServiceNowConfig,
  ServiceNowConfigInput,
  SnRecord,
} from './schemas';
import {
  getRecord,
  journalEntries,
  query,
  queryAll,
  type QueryOptions,
  type QueryPage,
  type ReadOptions,
} from './table-reads';
import { deleteRecord, identifyReconcile, importRecord, insert, update, type WriteOptions } from './table-writes';

export { DEFAULT_FIELDS } from './request-paths';
export type { ServiceNowClientDeps } from './instance-requests';
export {
  linkHasNext,
  type DisplayValue,
  type OrderBy,
  type QueryOptions,
  type QueryPage,
  type ReadOptions,
} from './table-reads';
export type { WriteOptions } from './table-writes';
export type { BatchItem, BatchItemResult, BatchOutcome } from './batch-api';

/**
 * ServiceNow REST client: Table API reads (`table-reads.ts`) and writes (`table-writes.ts`), journal
 * reads through `sys_journal_field`, attachments (`attachments.ts`), Import Set and Batch APIs
 * (`batch-api.ts`), over one instance's authenticated, limited and retried requests
 * (`instance-requests.ts`, which says what is retried and when).
 */
export class ServiceNowClient {
  /** The limiter every request goes through; the engine may pass a clustered one instead. */
  readonly limiter: RequestLimiter;
  readonly config: ServiceNowConfig;
  private readonly api: InstanceRequests;

  constructor(config: ServiceNowConfigInput, deps: ServiceNowClientDeps = {}) {
    this.api = new InstanceRequests(config, deps);
    this.limiter = this.api.limiter;
    this.config = this.api.config;
  }

  /** Releases sockets and the limiter's timers (not a limiter passed in). */
  close(): Promise<void> {
    return this.api.close();
  }

  /** `GET /api/now/table/{table}/{sys_id}`: one record, or `servicenow.not_found`. */
  getRecord(table: string, sysId: string, options: ReadOptions = {}): Promise<SnRecord> {
    return getRecord(this.api, table, sysId, options);
  }

  /** `GET /api/now/table/{table}`: one page of rows, plus `X-Total-Count` and whether a next page exists. */
  query(table: string, options: QueryOptions = {}): Promise<QueryPage> {
    return query(this.api, table, options);
  }

  /** Every row of a query, page by page (see `queryAll` in table-reads.ts for when it stops). */
  queryAll(table: string, options: QueryOptions = {}): AsyncGenerator<SnRecord, void, undefined> {
    return queryAll(this.api, table, options);
  }

  /** `POST /api/now/table/{table}`: inserts one record. Not idempotent: never retried once sent. */
  insert(table: string, fields: Record<string, string>, options: WriteOptions = {}): Promise<SnRecord> {
    return insert(this.api, table, fields, options);
  }

  /** `PATCH /api/now/table/{table}/{sys_id}`: retried unless it carries a journal field. */
  update(table: string, sysId: string, fields: Record<string, string>, options: WriteOptions = {}): Promise<SnRecord> {
    return update(this.api, table, sysId, fields, options);
  }

  /** `DELETE /api/now/table/{table}/{sys_id}` (204). */
  delete(table: string, sysId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    return deleteRecord(this.api, table, sysId, options);
  }

  /** `POST /api/now/identifyreconcile` (or its dry run): the answer's `result`. */
  identifyReconcile(
    payload: unknown,
    options: { dataSource: string; dryRun?: boolean; signal?: AbortSignal },
  ): Promise<unknown> {
    return identifyReconcile(this.api, payload, options);
  }

  /** Journal entries of one record, newest first, from `sys_journal_field`. */
  journalEntries(
    sysId: string,
    element: string = 'work_notes',
    options: { table?: string; limit?: number; signal?: AbortSignal } = {},
  ): Promise<JournalEntry[]> {
    return journalEntries(this.api, sysId, element, options);
  }

  /** `POST /api/now/attachment/file` with the raw bytes; refuses files above `attachmentMaxBytes`. */
  attach(
    table: string,
    sysId: string,
    fileName: string,
    contentType: string,
    bytes: Uint8Array,
    options: { signal?: AbortSignal } = {},
  ): Promise<AttachmentInfo> {
    return attach(this.api, table, sysId, fileName, contentType, bytes, options);
  }

  /** Attachments of one record, newest first. */
  listAttachments(
    table: string,
    sysId: string,
    options: { fileName?: string; hash?: string; limit?: number; signal?: AbortSignal } = {},
  ): Promise<AttachmentInfo[]> {
    return listAttachments(this.api, table, sysId, options);
  }

  /** Metadata of one attachment. */
  getAttachment(sysId: string, options: { signal?: AbortSignal } = {}): Promise<AttachmentInfo> {
    return getAttachment(this.api, sysId, options);
  }

  /** `POST /api/now/import/{staging_table}`: stages one row and runs its transform map. */
  importRecord(
    stagingTable: string,
    fields: Record<string, string>,
    options: { signal?: AbortSignal } = {},
  ): Promise<ImportSetResult> {
    return importRecord(this.api, stagingTable, fields, options);
  }

  /** Several REST calls in one `POST /api/now/v1/batch`, each with its own outcome. */
  batch(items: readonly BatchItem[], options: { signal?: AbortSignal; batchId?: string } = {}): Promise<BatchOutcome> {
    return batch(this.api, items, options);
  }
}
