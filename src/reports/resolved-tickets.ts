import type { QueryOptions } from '../../connectors/servicenow/client';
import type { ReportRange } from '../store/report.repository';
import type { ResolvedTicket } from './value.report';

/** The part of the ServiceNow client the value report reads with. */
export interface TicketSource {
  queryAll(table: string, options: QueryOptions): AsyncIterable<Record<string, unknown>>;
}

/** ServiceNow's glide date-time (`2026-12-04 17:05:00`, UTC through the Table API) as epoch ms. */
function glideTime(value: unknown): number | undefined {
  const text = typeof value === 'object' && value !== null ? (value as { value?: unknown }).value : value;
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) return undefined;
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}

const glide = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * Incidents resolved in the window (optionally narrowed by an encoded query naming the "similar"
 * tickets, e.g. `category=network`), for the value report's time-to-resolve comparison.
 */
export async function readResolvedTickets(
  source: TicketSource,
  range: ReportRange,
  similar?: string,
): Promise<ResolvedTicket[]> {
  const query = [`resolved_at>=${glide(range.from)}`, `resolved_at<${glide(range.to)}`, ...(similar ? [similar] : [])];
  const tickets: ResolvedTicket[] = [];
  for await (const row of source.queryAll('incident', {
    query: query.join('^'),
    fields: ['number', 'opened_at', 'resolved_at'],
    orderBy: { field: 'sys_id' },
    limit: 1000,
  })) {
    const openedAt = glideTime(row.opened_at);
    const resolvedAt = glideTime(row.resolved_at);
    const number = typeof row.number === 'string' ? row.number : (row.number as { value?: string })?.value;
    if (number && openedAt !== undefined && resolvedAt !== undefined && resolvedAt >= openedAt)
      tickets.push({ number, openedAt, resolvedAt });
  }
  return tickets;
}
