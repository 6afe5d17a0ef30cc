import { z } from 'zod';
import type { ViewOptions } from '../record-view';

/** docs/servicenow-behaviour.md §1.2 default page size. */
const DEFAULT_LIMIT = 10000;

const flag = z
  .string()
  .optional()
  .transform((v) => v?.toLowerCase() === 'true');

/** A positive integer, else the default: the Table API does not refuse odd paging values [inf]. */
const count = (fallback: number, min: number) =>
  z
    .string()
    .optional()
    .transform((v) => {
      const n = Number.parseInt(v ?? '', 10);
      return Number.isNaN(n) ? fallback : Math.max(min, n);
    });

const paramsSchema = z.object({
  sysparm_query: z.string().optional(),
  // An empty list means all fields, like no list.
  sysparm_fields: z
    .string()
    .optional()
    .transform((v) => {
      const fields = [
        ...new Set(
          (v ?? '')
            .split(',')
            .map((f) => f.trim())
            .filter(Boolean),
        ),
      ];
      return fields.length > 0 ? fields : undefined;
    }),
  sysparm_limit: count(DEFAULT_LIMIT, 1),
  // "never negative" (docs/servicenow-behaviour.md §1.2).
  sysparm_offset: count(0, 0),
  sysparm_display_value: z
    .string()
    .optional()
    .transform((v) => {
      const mode = v?.toLowerCase();
      return mode === 'true' || mode === 'all' ? mode : 'false';
    }),
  sysparm_exclude_reference_link: flag,
  sysparm_suppress_pagination_header: flag,
  sysparm_no_count: flag,
  sysparm_input_display_value: flag,
});

/** The parameters of one Table API request (docs/servicenow-behaviour.md §1.2), with their defaults applied. */
export interface TableParams {
  query: string | undefined;
  /** Name–value filters: every parameter that is not `sysparm_*`. */
  nameValues: Record<string, string>;
  limit: number;
  offset: number;
  view: ViewOptions;
  suppressPaginationHeader: boolean;
  noCount: boolean;
  inputDisplayValue: boolean;
}

/** Reads the parameters of a request URL; a repeated parameter counts once (its last value). */
export function readTableParams(search: URLSearchParams): TableParams {
  const all = Object.fromEntries(search);
  const p = paramsSchema.parse(all);
  return {
    query: p.sysparm_query,
    nameValues: Object.fromEntries(Object.entries(all).filter(([name]) => !name.startsWith('sysparm_'))),
    limit: p.sysparm_limit,
    offset: p.sysparm_offset,
    view: {
      fields: p.sysparm_fields,
      displayValue: p.sysparm_display_value,
      excludeReferenceLink: p.sysparm_exclude_reference_link,
    },
    suppressPaginationHeader: p.sysparm_suppress_pagination_header,
    noCount: p.sysparm_no_count,
    inputDisplayValue: p.sysparm_input_display_value,
  };
}
