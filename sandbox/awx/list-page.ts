import { NotFoundError } from '../../src/errors';

/** docs/awx-behaviour.md §1.3 pagination defaults: 25 per page, at most 200 (`MAX_PAGE_SIZE`). */
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 200;

/** Query parameters that steer the list rather than filter it. */
const CONTROL_PARAMS = ['page', 'page_size', 'order_by', 'format'];

/** One page of a list, as every AWX list endpoint answers. */
export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** The fields a list can be filtered on, by query name (`organization__name`), and how to read each (an array: any of its values). */
export type Filterable<T> = Record<string, (item: T) => unknown>;

/** Django lookups: `field=v`, `field__in=a,b`, `field__gte=v` (numbers, dates, text), `field__icontains=v`. */
const LOOKUPS: Record<string, (actual: string, wanted: string) => boolean> = {
  exact: (a, w) => a === w,
  in: (a, w) => w.split(',').includes(a),
  gt: (a, w) => compareScalars(a, w) > 0,
  gte: (a, w) => compareScalars(a, w) >= 0,
  lt: (a, w) => compareScalars(a, w) < 0,
  lte: (a, w) => compareScalars(a, w) <= 0,
  icontains: (a, w) => a.toLowerCase().includes(w.toLowerCase()),
};

/**
 * A Django-style list: filters on the `filterable` fields, `order_by=field` or `-field` (default:
 * id), then `page` / `page_size`. `next` / `previous` are paths with the request's other
 * parameters, as AWX gives them. A page past the end is 404; unknown filters are ignored.
 */
export function listPage<T extends { id: number }>(
  items: T[],
  path: string,
  query: URLSearchParams,
  filterable: Filterable<T>,
): Page<T> {
  const checks = [...query]
    .filter(([param]) => !CONTROL_PARAMS.includes(param))
    .flatMap(([param, wanted]) => filterCheck(filterable, param, wanted));
  const matching = sortItems(
    items.filter((item) => checks.every((check) => check(item))),
    query.get('order_by') ?? 'id',
  );
  const size = pageSize(query.get('page_size'));
  const page = Number(query.get('page') ?? '1');
  const pages = Math.max(1, Math.ceil(matching.length / size));
  if (!Number.isInteger(page) || page < 1 || page > pages) throw new NotFoundError('page', String(query.get('page')));
  return {
    count: matching.length,
    next: page < pages ? pageLink(path, query, page + 1) : null,
    previous: page > 1 ? pageLink(path, query, page - 1) : null,
    results: matching.slice((page - 1) * size, page * size),
  };
}

/** The predicate of one filter parameter; none when it names no filterable field. */
function filterCheck<T>(filterable: Filterable<T>, param: string, wanted: string): ((item: T) => boolean)[] {
  const split = param.lastIndexOf('__');
  const [name, lookup] =
    param in filterable || split < 0 ? [param, 'exact'] : [param.slice(0, split), param.slice(split + 2)];
  const read = filterable[name];
  const test = LOOKUPS[lookup];
  if (!read || !test) return [];
  // A many-valued field (a job's label names) matches when any of its values does.
  return [
    (item) => {
      const actual = read(item);
      return Array.isArray(actual) ? actual.some((a) => test(String(a), wanted)) : test(String(actual), wanted);
    },
  ];
}

/** Numbers numerically, ISO date-times by instant, anything else as text. */
function compareScalars(a: string, b: string): number {
  const [x, y] = [Number(a), Number(b)];
  if (a !== '' && b !== '' && !Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  const [s, t] = [Date.parse(a), Date.parse(b)];
  if (!Number.isNaN(s) && !Number.isNaN(t)) return s - t;
  return a < b ? -1 : a > b ? 1 : 0;
}

function pageSize(text: string | null): number {
  const size = Number.parseInt(text ?? '', 10);
  return Number.isNaN(size) || size < 1 ? DEFAULT_PAGE_SIZE : Math.min(size, MAX_PAGE_SIZE);
}

/** `order_by=name`, `order_by=-id`; a field the items do not have leaves the order as it is. */
function sortItems<T>(items: T[], orderBy: string): T[] {
  const descending = orderBy.startsWith('-');
  const field = descending ? orderBy.slice(1) : orderBy;
  const value = (item: T) => (item as Record<string, unknown>)[field];
  const compare = (a: T, b: T) => {
    const x = value(a);
    const y = value(b);
    if (x === y) return 0;
    if (x === null || x === undefined) return -1;
    if (y === null || y === undefined) return 1;
    return x < y ? -1 : 1;
  };
  return [...items].sort((a, b) => (descending ? compare(b, a) : compare(a, b)));
}

function pageLink(path: string, query: URLSearchParams, page: number): string {
  const params = new URLSearchParams(query);
  if (page === 1) params.delete('page');
  else params.set('page', String(page));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
