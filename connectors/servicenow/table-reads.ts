import { badArgument, fieldList, recordPath, tableName } from './request-paths';
import { resultObject, unexpected, type InstanceRequests } from './instance-requests';
import { asDateTime, fieldNameSchema, queryValue, rawValue, type JournalEntry, type SnRecord } from './schemas';

/** Table API reads and journal reads (docs/servicenow-behaviour.md §2, §3.6). */

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

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;

/** `GET /api/now/table/{table}/{sys_id}`: one record, or `servicenow.not_found`. */
export async function getRecord(
  api: InstanceRequests,
  table: string,
  sysId: string,
  options: ReadOptions = {},
): Promise<SnRecord> {
  const res = await api.request({
    method: 'GET',
    path: recordPath(table, sysId),
    params: readParams(options),
    idempotent: true,
    signal: options.signal,
  });
  return resultObject(res, 'GET record');
}

/** `GET /api/now/table/{table}`: one page of rows, plus `X-Total-Count` and whether a next page exists. */
export async function query(api: InstanceRequests, table: string, options: QueryOptions = {}): Promise<QueryPage> {
  const limit = options.limit ?? DEFAULT_LIMIT;
  const offset = options.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw badArgument(`limit must be 1..${MAX_LIMIT}, got ${limit}`);
  if (!Number.isInteger(offset) || offset < 0)
    throw badArgument(`offset must be a non-negative integer, got ${offset}`);
  const res = await api.request({
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
export async function* queryAll(
  api: InstanceRequests,
  table: string,
  options: QueryOptions = {},
): AsyncGenerator<SnRecord, void, undefined> {
  let offset = options.offset ?? 0;
  for (;;) {
    const page = await query(api, table, { ...options, offset });
    for (const row of page.rows) yield row;
    offset += page.limit;
    if (page.hasNext === false) return;
    if (page.total !== undefined && offset >= page.total) return;
    if (page.hasNext === undefined && page.total === undefined && page.rows.length < page.limit) return;
    if (page.rows.length === 0 && page.hasNext !== true) return;
  }
}

/**
 * Journal entries of one record, newest first, read from `sys_journal_field`
 * (`element_id=<sys_id>^element=<element>^ORDERBYDESCsys_created_on`, docs/servicenow-behaviour.md §3.6).
 */
export async function journalEntries(
  api: InstanceRequests,
  sysId: string,
  element: string = 'work_notes',
  options: { table?: string; limit?: number; signal?: AbortSignal } = {},
): Promise<JournalEntry[]> {
  const conditions = [`element_id=${queryValue(sysId)}`, `element=${queryValue(element)}`];
  if (options.table) conditions.push(`name=${queryValue(tableName(options.table))}`);
  const page = await query(api, 'sys_journal_field', {
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
