/**
 * docs/servicenow-behaviour.md §1.3 `Link` header: `<url>;rel="first"`, `rel="prev"` (not on the first page), `rel="next"` (not
 * on the last page), `rel="last"`, each URL the request's own with a new `sysparm_offset` (and
 * `sysparm_limit`) at the end. Undefined when everything fits on one page.
 */
export function paginationLinks(self: URL, page: { offset: number; limit: number; total: number }): string | undefined {
  const { offset, limit, total } = page;
  const hasPrev = offset > 0;
  const hasNext = offset + limit < total;
  if (!hasPrev && !hasNext) return undefined;
  const lastOffset = Math.max(0, Math.floor((total - 1) / limit) * limit);
  const links: [string, number][] = [['first', 0]];
  if (hasPrev) links.push(['prev', Math.max(0, offset - limit)]);
  if (hasNext) links.push(['next', offset + limit]);
  links.push(['last', lastOffset]);
  return links.map(([rel, at]) => `<${pageUrl(self, at, limit)}>;rel="${rel}"`).join(',');
}

function pageUrl(self: URL, offset: number, limit: number): string {
  const url = new URL(self);
  url.searchParams.delete('sysparm_offset');
  url.searchParams.delete('sysparm_limit');
  url.searchParams.append('sysparm_offset', String(offset));
  url.searchParams.append('sysparm_limit', String(limit));
  return url.toString();
}
