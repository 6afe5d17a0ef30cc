import Bottleneck from 'bottleneck';
import { limiterOptions } from '../rate-limiters';
import type { RequestLimiter } from '../failover-limiter';
import type { Logger } from 'winston';
import { ConnectorError } from '../../src/errors';
import {
  createHttpTransport,
  failedAttempt,
  withRetries,
  type Attempt,
  type HttpTransport,
  type TransportRequest,
  type TransportResponse,
} from '../transport';
import { createAuth, type AuthProvider } from './auth';
import {
  attachmentListParams,
  attachmentParams,
  badArgument,
  checkAttachment,
  fieldList,
  pathId,
  recordPath,
  tableName,
  toAttachment,
  writeParams,
} from './request-paths';
import { CONNECTOR, errorFromNetwork, errorFromResponse, type RequestFacts } from './errors';
import {
  asDateTime,
  fieldNameSchema,
  importSetAnswerSchema,
  queryValue,
  rawValue,
  serviceNowConfigSchema,
  type AttachmentInfo,
  type ImportSetResult,
  type JournalEntry,
  type ServiceNowConfig,
  type ServiceNowConfigInput,
  type SnRecord,
} from './schemas';

export { DEFAULT_FIELDS } from './request-paths';

/** `sysparm_display_value`: raw values (default), display values, or both. */
export type DisplayValue = boolean | 'all';

export interface ReadOptions {
  /** Columns to return (`sysparm_fields`); default `sys_id,sys_mod_count,sys_updated_on`. */
  fields?: readonly string[];
  displayValue?: DisplayValue;
  /** Keep the `link` member of reference fields; default false (`sysparm_exclude_reference_link=true`). */
  referenceLinks?: boolean;
  signal?: AbortSignal;
}

export interface OrderBy {
  field: string;
  descending?: boolean;
}

export interface QueryOptions extends ReadOptions {
  /** Encoded query (docs/servicenow-behaviour.md §2). Values inside it must have gone through `queryValue()`. */
  query?: string;
  /** Page size (`sysparm_limit`), 1..1000; default 100. */
  limit?: number;
  offset?: number;
  orderBy?: OrderBy | readonly OrderBy[];
}

export interface QueryPage {
  rows: SnRecord[];
  /** `X-Total-Count`: rows matching the whole query, when the instance said. */
  total: number | undefined;
  /** Whether the `Link` header names a next page; undefined when there was no `Link` header. */
  hasNext: boolean | undefined;
  offset: number;
  limit: number;
}

export interface WriteOptions {
  /** Columns to return from the written record; default `sys_id,sys_mod_count,sys_updated_on`. */
  fields?: readonly string[];
  signal?: AbortSignal;
}

/** One call inside a batch (docs/servicenow-behaviour.md §6.5). `url` is relative and carries its own query string. */
export interface BatchItem {
  id: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  body?: Record<string, unknown>;
  /** Raw bytes sent instead of a JSON body (an attachment upload), with their content type. */
  file?: { bytes: Uint8Array; contentType: string };
}

export type BatchItemResult =
  { ok: true; status: number; body: unknown } | { ok: false; status: number; error: ConnectorError };

export interface BatchOutcome {
  results: Map<string, BatchItemResult>;
  /** Item ids the instance did not get to (cut by the 30 s quota): send them again. */
  unserviced: string[];
}

/** Injected collaborators; every one is optional. */
export interface ServiceNowClientDeps {
  /** Shared limiter (e.g. Redis-clustered); by default one is built from the config. */
  limiter?: RequestLimiter;
  logger?: Logger;
  /** For tests: how the client waits between attempts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
  /** Told of every HTTP attempt as it is sent: the API budget the instance's rate-limit rules count. */
  onRequestSent?: () => void;
}

interface SnRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  params?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  idempotent: boolean;
  signal?: AbortSignal;
  /** Largest body sent; default the attachment limit (a batch carries several bodies, Base64). */
  maxBodyBytes?: number;
}

type SnResponse = TransportResponse;

const MAX_LIMIT = 1000;
/** A batch's body: its items' bodies in Base64; the instance takes up to 10 MB per item (docs/servicenow-behaviour.md §6.5). */
const BATCH_MAX_BODY_BYTES = 64 * 1024 * 1024;
const DEFAULT_LIMIT = 100;
const RESERVED_HEADERS = new Set([
  'authorization',
  'x-sn-apikey',
  'cookie',
  'accept',
  'content-type',
  'content-length',
  'host',
]);

/**
 * ServiceNow REST client: Table API, journal reads through `sys_journal_field`, attachment
 * upload, Import Set and Batch APIs, with authentication, a per-instance limiter and retries.
 *
 * - Never keeps cookies: each request stands alone, so requests are not serialised into one
 *   session (https://docs.arc46.io/squid/usage/api-throughput).
 * - Every HTTP attempt goes through `limiter` (`maxConcurrent`, `requestsPerHour`).
 * - Idempotent requests (GET, DELETE, PATCH without journal fields) are retried on 429, 5xx and
 *   network errors with exponential backoff and jitter, honouring `Retry-After` /
 *   `X-RateLimit-Reset`. A non-idempotent request (POST, PATCH with `work_notes`/`comments`) is
 *   retried only when it certainly did not reach the instance (429, connection refused); when it
 *   may have, the error is `servicenow.ambiguous` and the caller must look before re-sending.
 */
export class ServiceNowClient {
  /** The limiter every request goes through; the engine may pass a clustered one instead. */
  readonly limiter: RequestLimiter;
  readonly config: ServiceNowConfig;
  private readonly transport: HttpTransport<RequestFacts>;
  private readonly auth: AuthProvider;
  private readonly ownsLimiter: boolean;
  private readonly logger: Logger | undefined;
  private readonly sleep: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly journalFields: Set<string>;
  private readonly extraHeaders: Record<string, string>;

  constructor(config: ServiceNowConfigInput, deps: ServiceNowClientDeps = {}) {
    this.config = serviceNowConfigSchema.parse(config);
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.sleep = deps.sleep;
    this.journalFields = new Set(this.config.journalFields);
    // Extra headers may add context, never replace what the client itself decides.
    this.extraHeaders = Object.fromEntries(
      Object.entries(this.config.extraHeaders).filter(([name]) => !RESERVED_HEADERS.has(name.toLowerCase())),
    );
    this.ownsLimiter = !deps.limiter;
    this.limiter =
      deps.limiter ??
      new Bottleneck(
        limiterOptions({ maxConcurrent: this.config.maxConcurrent, requestsPerHour: this.config.requestsPerHour }),
      );
    this.transport = createHttpTransport({
      connector: CONNECTOR,
      baseUrl: this.config.url,
      timeoutMs: this.config.timeoutMs,
      limiter: this.limiter,
      headers: this.extraHeaders,
      agents: {},
      maxContentLength: 64 * 1024 * 1024,
      maxBodyLength: this.config.attachmentMaxBytes + 1024,
      onRequestSent: deps.onRequestSent,
      networkError: errorFromNetwork,
    });
    this.auth = createAuth(this.config.auth, this.transport.http, this.now);
  }

  /** Releases sockets and the limiter's timers (not a limiter passed in). */
  async close(): Promise<void> {
    this.transport.close();
    if (this.ownsLimiter) await this.limiter.disconnect(false);
  }

  // -------------------------------------------------------------------------------------------
  // Table API
  // -------------------------------------------------------------------------------------------

  /** `GET /api/now/table/{table}/{sys_id}`: one record, or `servicenow.not_found`. */
  async getRecord(table: string, sysId: string, options: ReadOptions = {}): Promise<SnRecord> {
    const res = await this.request({
      method: 'GET',
      path: recordPath(table, sysId),
      params: readParams(options),
      idempotent: true,
      signal: options.signal,
    });
    return resultObject(res, 'GET record');
  }

  /** `GET /api/now/table/{table}`: one page of rows, plus `X-Total-Count` and whether a next page exists. */
  async query(table: string, options: QueryOptions = {}): Promise<QueryPage> {
    const limit = options.limit ?? DEFAULT_LIMIT;
    const offset = options.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw badArgument(`limit must be 1..${MAX_LIMIT}, got ${limit}`);
    if (!Number.isInteger(offset) || offset < 0)
      throw badArgument(`offset must be a non-negative integer, got ${offset}`);
    const res = await this.request({
      method: 'GET',
      path: `/api/now/table/${tableName(table)}`,
      params: {
        sysparm_query: encodedQuery(options.query, options.orderBy),
        ...readParams(options),
        sysparm_limit: String(limit),
        sysparm_offset: String(offset),
      },
      idempotent: true,
      signal: options.signal,
    });
    const result = (res.data as { result?: unknown } | undefined)?.result;
    if (!Array.isArray(result)) throw unexpected('GET list', res);
    const totalHeader = header(res.headers, 'x-total-count');
    const total = totalHeader !== undefined && /^\d+$/.test(totalHeader) ? Number(totalHeader) : undefined;
    const link = header(res.headers, 'link');
    return {
      rows: result as SnRecord[],
      total,
      hasNext: link === undefined ? undefined : linkHasNext(link),
      offset,
      limit,
    };
  }

  /**
   * Every row of a query, page by page (offset += limit, since a page may come back short after
   * ACL filtering). Stops when the offset reaches `X-Total-Count`, when the `Link` header has no
   * `rel="next"`, or, when the instance sent neither, at the first short page.
   * Pass an `orderBy` on a stable column: offsets shift when records change between pages.
   */
  async *queryAll(table: string, options: QueryOptions = {}): AsyncGenerator<SnRecord, void, undefined> {
    let offset = options.offset ?? 0;
    for (;;) {
      const page = await this.query(table, { ...options, offset });
      for (const row of page.rows) yield row;
      offset += page.limit;
      if (page.hasNext === false) return;
      if (page.total !== undefined && offset >= page.total) return;
      if (page.hasNext === undefined && page.total === undefined && page.rows.length < page.limit) return;
      if (page.rows.length === 0 && page.hasNext !== true) return;
    }
  }

  /** `POST /api/now/table/{table}`: inserts one record. Not idempotent: never retried once sent. */
  async insert(table: string, fields: Record<string, string>, options: WriteOptions = {}): Promise<SnRecord> {
    const res = await this.request({
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
  async update(
    table: string,
    sysId: string,
    fields: Record<string, string>,
    options: WriteOptions = {},
  ): Promise<SnRecord> {
    const journal = Object.keys(fields).some((f) => this.journalFields.has(f));
    const res = await this.request({
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
  async delete(table: string, sysId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.request({ method: 'DELETE', path: recordPath(table, sysId), idempotent: true, signal: options.signal });
  }

  /**
   * `POST /api/now/identifyreconcile` (or `/identifyreconcile/query`, a dry run that commits
   * nothing), https://www.servicenow.com/docs/r/api-reference/rest-apis/c_IdentifyReconcileAPI.html. Returns the answer's `result`. Safe to repeat: the IRE
   * identifies CIs, so the same payload twice leaves the CMDB as once.
   */
  async identifyReconcile(
    payload: unknown,
    options: { dataSource: string; dryRun?: boolean; signal?: AbortSignal },
  ): Promise<unknown> {
    const path = options.dryRun ? '/api/now/identifyreconcile/query' : '/api/now/identifyreconcile';
    const res = await this.request({
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

  // -------------------------------------------------------------------------------------------
  // Journal
  // -------------------------------------------------------------------------------------------

  /**
   * Journal entries of one record, newest first, read from `sys_journal_field`
   * (`element_id=<sys_id>^element=<element>^ORDERBYDESCsys_created_on`, docs/servicenow-behaviour.md §3.6).
   */
  async journalEntries(
    sysId: string,
    element: string = 'work_notes',
    options: { table?: string; limit?: number; signal?: AbortSignal } = {},
  ): Promise<JournalEntry[]> {
    const conditions = [`element_id=${queryValue(sysId)}`, `element=${queryValue(element)}`];
    if (options.table) conditions.push(`name=${queryValue(tableName(options.table))}`);
    const page = await this.query('sys_journal_field', {
      query: `${conditions.join('^')}^ORDERBYDESCsys_created_on`,
      fields: ['sys_id', 'element', 'element_id', 'name', 'value', 'sys_created_on', 'sys_created_by'],
      limit: options.limit ?? 50,
      signal: options.signal,
    });
    return page.rows.map((row) => ({
      sysId: rawValue(row.sys_id) ?? '',
      element: rawValue(row.element) ?? '',
      elementId: rawValue(row.element_id) ?? '',
      table: rawValue(row.name) ?? '',
      value: rawValue(row.value) ?? '',
      createdOn: asDateTime(row.sys_created_on),
      createdBy: rawValue(row.sys_created_by) ?? '',
    }));
  }

  // -------------------------------------------------------------------------------------------
  // Attachments (docs/servicenow-behaviour.md §6.2)
  // -------------------------------------------------------------------------------------------

  /**
   * `POST /api/now/attachment/file?table_name=…&table_sys_id=…&file_name=…` with the raw bytes.
   * Refuses files above `attachmentMaxBytes` before sending anything. Not idempotent.
   */
  async attach(
    table: string,
    sysId: string,
    fileName: string,
    contentType: string,
    bytes: Uint8Array,
    options: { signal?: AbortSignal } = {},
  ): Promise<AttachmentInfo> {
    checkAttachment(fileName, contentType, bytes, this.config.attachmentMaxBytes);
    const res = await this.request({
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
  async listAttachments(
    table: string,
    sysId: string,
    options: { fileName?: string; hash?: string; limit?: number; signal?: AbortSignal } = {},
  ): Promise<AttachmentInfo[]> {
    const res = await this.request({
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
  async getAttachment(sysId: string, options: { signal?: AbortSignal } = {}): Promise<AttachmentInfo> {
    const res = await this.request({
      method: 'GET',
      path: `/api/now/attachment/${pathId(sysId)}`,
      idempotent: true,
      signal: options.signal,
    });
    return toAttachment(resultObject(res, 'GET attachment'));
  }

  // -------------------------------------------------------------------------------------------
  // Import Set API (docs/servicenow-behaviour.md §6.3)
  // -------------------------------------------------------------------------------------------

  /**
   * `POST /api/now/import/{staging_table}`: stages one row and runs its transform map
   * synchronously. A row the transform refused comes back with `status: 'error'` inside a 201, so
   * callers must look at each result. Not idempotent unless the transform map coalesces.
   */
  async importRecord(
    stagingTable: string,
    fields: Record<string, string>,
    options: { signal?: AbortSignal } = {},
  ): Promise<ImportSetResult> {
    const res = await this.request({
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

  // -------------------------------------------------------------------------------------------
  // Batch API (docs/servicenow-behaviour.md §6.5)
  // -------------------------------------------------------------------------------------------

  /**
   * Several REST calls in one `POST /api/now/v1/batch`. Each item gets its own status: a 2xx item
   * resolves to its parsed body, any other to the same ConnectorError a single call would raise.
   * Items the instance did not reach in time come back in `unserviced` and must be sent again
   * (individually or in a later batch). The batch as a whole is repeated by the client only when
   * every item is idempotent.
   */
  async batch(
    items: readonly BatchItem[],
    options: { signal?: AbortSignal; batchId?: string } = {},
  ): Promise<BatchOutcome> {
    if (items.length === 0) return { results: new Map(), unserviced: [] };
    const ids = new Set<string>();
    for (const item of items) {
      if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(item.id) || ids.has(item.id))
        throw badArgument(`batch item id ${JSON.stringify(item.id)} is not unique or not simple`);
      if (!item.url.startsWith('/api/')) throw badArgument(`batch item ${item.id}: url must be a relative /api/ path`);
      ids.add(item.id);
    }
    const idempotent = items.every((i) => this.itemIdempotent(i));
    const res = await this.request({
      method: 'POST',
      path: '/api/now/v1/batch',
      body: {
        batch_request_id: options.batchId ?? `snowline-${this.now()}`,
        rest_requests: items.map((item) => ({
          id: item.id,
          method: item.method,
          url: item.url,
          headers: [
            { name: 'Content-Type', value: item.file?.contentType ?? 'application/json' },
            { name: 'Accept', value: 'application/json' },
          ],
          ...batchBody(item),
          exclude_response_headers: true,
        })),
      },
      idempotent,
      signal: options.signal,
      maxBodyBytes: BATCH_MAX_BODY_BYTES,
    });
    const data = (res.data ?? {}) as { serviced_requests?: unknown; unserviced_requests?: unknown };
    if (!Array.isArray(data.serviced_requests)) throw unexpected('POST batch', res);
    const byId = new Map(items.map((i) => [i.id, i]));
    const results = new Map<string, BatchItemResult>();
    for (const raw of data.serviced_requests as Array<Record<string, unknown>>) {
      const id = String(raw.id ?? '');
      const item = byId.get(id);
      if (!item) continue;
      const status = Number(raw.status_code);
      let body: unknown;
      if (typeof raw.body === 'string' && raw.body) {
        const text = Buffer.from(raw.body, 'base64').toString('utf8');
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      if (status >= 200 && status < 300) results.set(id, { ok: true, status, body });
      else {
        const facts = { method: item.method, path: item.url.split('?')[0]!, idempotent: this.itemIdempotent(item) };
        const error = errorFromResponse(status, {}, body ?? raw.error_message, facts, this.now());
        results.set(id, { ok: false, status, error });
      }
    }
    const unserviced = Array.isArray(data.unserviced_requests) ? data.unserviced_requests.map(String) : [];
    // An item the answer does not mention at all was not serviced either.
    for (const id of ids) if (!results.has(id) && !unserviced.includes(id)) unserviced.push(id);
    return { results, unserviced };
  }

  private itemIdempotent(item: BatchItem): boolean {
    if (item.method === 'GET' || item.method === 'DELETE') return true;
    if (item.method === 'POST') return false;
    const fields = item.body && typeof item.body === 'object' ? Object.keys(item.body) : [];
    return !fields.some((f) => this.journalFields.has(f));
  }

  // -------------------------------------------------------------------------------------------
  // Transport
  // -------------------------------------------------------------------------------------------

  /**
   * One request with its retries (see the class comment). A 401 is answered once by
   * re-authenticating, within the same attempt, when the auth can obtain new credentials.
   */
  private request(req: SnRequest): Promise<SnResponse> {
    const facts: RequestFacts = { method: req.method, path: req.path, idempotent: req.idempotent };
    let reauthenticated = false;
    const attempt = async (): Promise<Attempt<SnResponse>> => {
      let authHeaders: Record<string, string>;
      try {
        authHeaders = await this.auth.headers(req.signal);
      } catch (err) {
        if (!(err instanceof ConnectorError)) throw err;
        // The token call failed; nothing of the request itself was sent, so it may be repeated.
        return { ok: false, error: err, safeToRepeat: true };
      }
      let res: SnResponse;
      try {
        res = await this.transport.send(this.outgoing(req, authHeaders), facts);
      } catch (err) {
        if (!(err instanceof ConnectorError)) throw err;
        return failedAttempt(err, req.idempotent);
      }
      if (res.status >= 200 && res.status < 300) return { ok: true, value: res };
      if (res.status === 401 && this.auth.canReauthenticate && !reauthenticated) {
        reauthenticated = true;
        this.logger?.info('servicenow: 401, re-authenticating once', { method: req.method, path: req.path });
        await this.auth.reauthenticate(authHeaders, req.signal);
        return attempt();
      }
      return failedAttempt(errorFromResponse(res.status, res.headers, res.data, facts, this.now()), req.idempotent);
    };
    return withRetries(attempt, this.config.retry, {
      sleep: this.sleep,
      random: this.random,
      signal: req.signal,
      onRetry: (error, n, waitMs) =>
        this.logger?.debug('servicenow: retrying', {
          code: error.code,
          method: req.method,
          path: req.path,
          attempt: n,
          waitMs,
        }),
    });
  }

  private outgoing(req: SnRequest, authHeaders: Record<string, string>): TransportRequest {
    const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders };
    if (req.body !== undefined) headers['Content-Type'] = req.contentType ?? 'application/json';
    const params = Object.fromEntries(
      Object.entries(req.params ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const query = new URLSearchParams(params).toString();
    return {
      method: req.method,
      url: query ? `${req.path}?${query}` : req.path,
      headers,
      data: req.body,
      signal: req.signal,
      maxBodyLength: req.maxBodyBytes,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** An item's body, Base64 as the Batch API carries it: the file's bytes, else the JSON. */
function batchBody(item: BatchItem): { body?: string } {
  if (item.file) return { body: Buffer.from(item.file.bytes).toString('base64') };
  return item.body === undefined ? {} : { body: Buffer.from(JSON.stringify(item.body), 'utf8').toString('base64') };
}

/**
 * A 2xx answer without the expected `result` (a hibernating developer instance answers 200 with an
 * HTML page). A read is worth repeating; a write may have happened.
 */
function unexpected(what: string, res: SnResponse): ConnectorError {
  const write = !what.startsWith('GET');
  return new ConnectorError(
    CONNECTOR,
    write ? 'ambiguous' : 'transient',
    write ? 'ambiguous' : 'unavailable',
    `ServiceNow answered ${what} with HTTP ${res.status} but no result (not a REST API response?)`,
    { details: { status: res.status } },
  );
}

function readParams(options: ReadOptions): Record<string, string | undefined> {
  return {
    sysparm_fields: fieldList(options.fields),
    sysparm_display_value:
      options.displayValue === undefined || options.displayValue === false ? undefined : String(options.displayValue),
    sysparm_exclude_reference_link: options.referenceLinks ? undefined : 'true',
  };
}

function encodedQuery(
  query: string | undefined,
  orderBy: OrderBy | readonly OrderBy[] | undefined,
): string | undefined {
  const parts = query ? [query] : [];
  const orders = orderBy === undefined ? [] : Array.isArray(orderBy) ? orderBy : [orderBy as OrderBy];
  for (const o of orders) {
    if (!fieldNameSchema.safeParse(o.field).success)
      throw badArgument(`${JSON.stringify(o.field)} is not a field name`);
    parts.push(`${o.descending ? 'ORDERBYDESC' : 'ORDERBY'}${o.field}`);
  }
  return parts.length > 0 ? parts.join('^') : undefined;
}

function header(headers: Record<string, unknown>, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** Whether a `Link` header has a `rel="next"` member. */
export function linkHasNext(link: string): boolean {
  return link.split(/,(?=\s*<)/).some((part) => /;\s*rel="?next"?/i.test(part));
}

function resultObject(res: SnResponse, what: string): SnRecord {
  const result = (res.data as { result?: unknown } | undefined)?.result;
  if (!result || typeof result !== 'object' || Array.isArray(result)) throw unexpected(what, res);
  return result as SnRecord;
}
