import { isInstanceOf } from '../../connectors/servicenow/dictionary';
import { compileQuery, parseEncodedQuery, type EncodedQuery } from '../../src/rules/encoded-query';
import { UnsupportedQueryError } from './errors/unsupported-query.error';
import { displayValueOf, recordReader, resolvePath } from './record-reader';
import type { RecordStore, RecordValues } from './record-store';

/** The filter of a list request: an encoded query, or name–value pairs (docs/servicenow-behaviour.md §1.1), never both. */
export interface ListFilter {
  /** `sysparm_query`. */
  encodedQuery?: string;
  /** `?active=true&state=2`: used only when there is no encoded query. */
  nameValues: Record<string, string>;
}

/** Evaluation context of a list request. */
export interface QueryContext {
  now: Date;
  /** sys_id of the caller's sys_user, for `javascript:gs.getUserID()`. */
  userSysId?: string;
}

/**
 * The rows of `table` (and of tables extending it) that a list request selects, in its
 * `ORDERBY` order, otherwise oldest first. Invalid query terms are dropped and the rest applied
 * (docs/servicenow-behaviour.md §1.2, `glide.invalid_query.returns_no_rows=false`); constructs the sandbox does not implement
 * (RLQUERY, JOIN) refuse the query instead, since dropping them would widen it.
 */
export function findRecords(store: RecordStore, table: string, filter: ListFilter, ctx: QueryContext): RecordValues[] {
  if (!filter.encodedQuery)
    return store.list(table).filter((row) => matchesNameValues(store, table, row, filter.nameValues));
  const { query, problems } = parseEncodedQuery(filter.encodedQuery);
  const unsupported = problems.filter((p) => p.unsupported);
  if (unsupported.length > 0) throw new UnsupportedQueryError(unsupported);
  const matches = compileQuery(query, { userId: ctx.userSysId, isInstanceOf, invalidTerms: 'drop' });
  const matched = candidates(store, table, query).filter((row) =>
    matches(recordReader(store, table, row), { now: ctx.now }),
  );
  return sortRows(store, table, matched, query.orderBy);
}

/**
 * The rows a one-group query with `<indexed field>=<value>` can match, read from the store's index
 * (a record's attachments, journal entries or approvals: RecordStore.indexedField): those holding the value,
 * an exact comparison as the evaluator's. Every other query reads the whole table. Either way the
 * query itself is still evaluated on each row.
 */
function candidates(store: RecordStore, table: string, query: EncodedQuery): RecordValues[] {
  const field = store.indexedField(table);
  const [group, ...others] = query.groups;
  const term =
    field && group && others.length === 0
      ? group.find((clause) => clause.length === 1 && clause[0]!.field === field && clause[0]!.operator === '=')
      : undefined;
  return term ? store.listWhere(table, field!, term[0]!.value) : store.list(table);
}

/**
 * docs/servicenow-behaviour.md §1.1 name–value filters: each pair must equal the raw value or, for choices and references, the
 * display value (`state=Closed`; compared case-insensitively [inf]). Names that are not fields are
 * ignored, as in `sysparm_fields`.
 */
function matchesNameValues(
  store: RecordStore,
  table: string,
  row: RecordValues,
  pairs: Record<string, string>,
): boolean {
  return Object.entries(pairs).every(([path, wanted]) => {
    const resolved = resolvePath(store, table, row, path);
    if (!resolved) return true;
    if (resolved.value === wanted) return true;
    return displayValueOf(store, resolved.field, resolved.value).toLowerCase() === wanted.toLowerCase();
  });
}

/**
 * Sorts by each `ORDERBY` key in turn; a key naming no field is ignored. Rows equal on every key
 * keep their insertion order in the direction of the first key, so `ORDERBYDESCsys_created_on`
 * shows the later of two same-second journal entries first [inf: real ties are unordered].
 */
function sortRows(
  store: RecordStore,
  table: string,
  rows: RecordValues[],
  orderBy: { field: string; descending: boolean }[],
): RecordValues[] {
  if (orderBy.length === 0) return rows;
  const keyed = rows.map((row, position) => {
    const reader = recordReader(store, table, row);
    return { row, position, keys: orderBy.map(({ field }) => reader.read(field)) };
  });
  const direction = (descending: boolean, order: number) => (descending ? -order : order);
  keyed.sort((a, b) => {
    for (const [index, { descending }] of orderBy.entries()) {
      const x = a.keys[index];
      const y = b.keys[index];
      if (!x || !y) continue;
      // References sort by what they show, as in a list view.
      const order = compareValues(x.display ?? x.value, y.display ?? y.value);
      if (order !== 0) return direction(descending, order);
    }
    return direction(orderBy[0]!.descending, a.position - b.position);
  });
  return keyed.map((k) => k.row);
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/** Numbers (integers, integer choices) compare numerically, the rest as text; empty first. */
function compareValues(a: string, b: string): number {
  if (NUMBER.test(a) && NUMBER.test(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}
