import { NotFoundError } from '../../errors';

/** §1.3 pagination defaults: 25 per page, at most 200 (`MAX_PAGE_SIZE`). */
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 200;

/** One page of a list, as every AWX list endpoint answers. */
export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/**
 * A Django-style list: `field=value` and `field__in=a,b` filters on the `filterable` fields,
 * `order_by=field` or `-field` (default: id), then `page` / `page_size`. `next` / `previous`
 * are paths with the request's other parameters, as AWX gives them. A page past the end is 404.
 */
export function listPage<T extends { id: number }>(items: T[], path: string, query: URLSearchParams, filterable: readonly string[]): Page<T> {
  const matching = sortItems(items.filter((item) => matchesFilters(item, query, filterable)), query.get('order_by') ?? 'id');
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

function pageSize(text: string | null): number {
  const size = Number.parseInt(text ?? '', 10);
  return Number.isNaN(size) || size < 1 ? DEFAULT_PAGE_SIZE : Math.min(size, MAX_PAGE_SIZE);
}

function matchesFilters(item: object, query: URLSearchParams, filterable: readonly string[]): boolean {
  const fields = item as Record<string, unknown>;
  for (const [param, wanted] of query) {
    const [field = '', lookup] = param.split('__');
    if (!filterable.includes(field)) continue;
    const actual = String(fields[field]);
    if (lookup === 'in' ? !wanted.split(',').includes(actual) : lookup === undefined && actual !== wanted) return false;
  }
  return true;
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
