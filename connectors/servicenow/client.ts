import type { RequestLimiter } from '../failover-limiter';
import { attach, getAttachment, listAttachments } from './attachments';
import { batch } from './batch-api';
import { InstanceRequests, type ServiceNowClientDeps } from './instance-requests';
import type { ServiceNowConfig, ServiceNowConfigInput } from './schemas';
import { getRecord, journalEntries, query, queryAll } from './table-reads';
import { deleteRecord, identifyReconcile, importRecord, insert, update } from './table-writes';

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

/** The parameters of a request function after the instance it sends to. */
type ApiArgs<F> = F extends (api: InstanceRequests, ...args: infer A) => unknown ? A : never;

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
  getRecord(...args: ApiArgs<typeof getRecord>) {
    return getRecord(this.api, ...args);
  }

  /** `GET /api/now/table/{table}`: one page of rows, plus `X-Total-Count` and whether a next page exists. */
  query(...args: ApiArgs<typeof query>) {
    return query(this.api, ...args);
  }

  /** Every row of a query, page by page (see `queryAll` in table-reads.ts for when it stops). */
  queryAll(...args: ApiArgs<typeof queryAll>) {
    return queryAll(this.api, ...args);
  }

  /** `POST /api/now/table/{table}`: inserts one record. Not idempotent: never retried once sent. */
  insert(...args: ApiArgs<typeof insert>) {
    return insert(this.api, ...args);
  }

  /** `PATCH /api/now/table/{table}/{sys_id}`: retried unless it carries a journal field. */
  update(...args: ApiArgs<typeof update>) {
    return update(this.api, ...args);
  }

  /** `DELETE /api/now/table/{table}/{sys_id}` (204). */
  delete(...args: ApiArgs<typeof deleteRecord>) {
    return deleteRecord(this.api, ...args);
  }

  /** `POST /api/now/identifyreconcile` (or its dry run): the answer's `result`. */
  identifyReconcile(...args: ApiArgs<typeof identifyReconcile>) {
    return identifyReconcile(this.api, ...args);
  }

  /** Journal entries of one record, newest first, from `sys_journal_field`. */
  journalEntries(...args: ApiArgs<typeof journalEntries>) {
    return journalEntries(this.api, ...args);
  }

  /** `POST /api/now/attachment/file` with the raw bytes; refuses files above `attachmentMaxBytes`. */
  attach(...args: ApiArgs<typeof attach>) {
    return attach(this.api, ...args);
  }

  /** Attachments of one record, newest first. */
  listAttachments(...args: ApiArgs<typeof listAttachments>) {
    return listAttachments(this.api, ...args);
  }

  /** Metadata of one attachment. */
  getAttachment(...args: ApiArgs<typeof getAttachment>) {
    return getAttachment(this.api, ...args);
  }

  /** `POST /api/now/import/{staging_table}`: stages one row and runs its transform map. */
  importRecord(...args: ApiArgs<typeof importRecord>) {
    return importRecord(this.api, ...args);
  }

  /** Several REST calls in one `POST /api/now/v1/batch`, each with its own outcome. */
  batch(...args: ApiArgs<typeof batch>) {
    return batch(this.api, ...args);
  }
}
