import type { ServiceNowClient } from '../../connectors/servicenow/client';
import { fieldsOf } from '../../connectors/servicenow/dictionary';
import { queryValue, rawValue, type SnRecord } from '../../connectors/servicenow/schemas';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { WatermarkRepository } from '../store/watermark.repository';
import { ticketEventSchema, type TicketEvent, type WatchedTable } from '../engine/event.schema';
import type { Intake } from './intake';

export interface PollerDeps {
  /** Only pages of the Table API are needed. */
  client: Pick<ServiceNowClient, 'query'>;
  intake: Intake;
  watermarks: WatermarkRepository;
  logger: Logger;
  metrics: Metrics;
  tables: readonly WatchedTable[];
  /** How far before the watermark each poll starts: absorbs clock skew and same-second updates. */
  overlapSeconds: number;
  /** Rows per Table API page; default 200. */
  pageSize?: number;
  now?: () => number;
}

const DEFAULT_PAGE_SIZE = 200;
/** Before the first poll there is no watermark: look back this far, not at the whole table. */
const FIRST_POLL_LOOKBACK_MS = 60 * 60 * 1000;
/** Keyset order: a total order on the rows, so pages neither overlap nor leave gaps. */
const KEY_ORDER = [{ field: 'sys_updated_on' }, { field: 'sys_id' }];

/** The key of the last row read: the next page starts strictly after it. */
interface PageCursor {
  updatedOn: string;
  sysId: string;
}

/**
 * The encoded query of one page. The first page takes everything updated since `since`; each
 * further page takes what sorts after the previous page's last row, `(updated, sys_id) > cursor`,
 * written as two `^NQ` groups because `^OR` binds tighter than `^` (https://servicenow.github.io/sdk/guides/encoded-query-guide).
 * Offsets would not do: a record updated while the poll pages moves to the end of the order and
 * shifts every later row one place back, so the row at the page boundary would be skipped.
 */
export function keysetQuery(since: string, cursor: PageCursor | undefined): string {
  if (!cursor) return `sys_updated_on>=${queryValue(since)}`;
  const at = queryValue(cursor.updatedOn);
  return `sys_updated_on>${at}^NQsys_updated_on=${at}^sys_id>${queryValue(cursor.sysId)}`;
}

/**
 * Whether no page follows. `X-Total-Count` counts what the page's query still matches; without it
 * a short page ends the poll. An empty page always does, and so does a page that did not move the
 * cursor (rows hidden by ACLs count in the limit but are never shown).
 */
function isLastPage(page: { rows: unknown[]; total: number | undefined; limit: number }): boolean {
  if (page.rows.length === 0) return true;
  if (page.total !== undefined) return page.rows.length >= page.total;
  return page.rows.length < page.limit;
}

/**
 * The safety net under the webhooks: reads every record updated since the table's watermark (less
 * the overlap, which absorbs clock skew between nodes and several updates within one second), page
 * by page in keyset order, and offers each version to the inbox, which keeps it only if no webhook brought it already. After
 * downtime it catches up from the persisted watermark. Counts the versions it found that webhooks
 * had not delivered (`snowline_poll_records_total{result="new"}`).
 */
export function createPoller(deps: PollerDeps) {
  const now = deps.now ?? Date.now;
  const { client, intake, watermarks, logger, metrics } = deps;

  async function pollTable(table: WatchedTable): Promise<number> {
    const name = `poll:${table}`;
    const mark = (await watermarks.get(name)) ?? toGlide(new Date(now() - FIRST_POLL_LOOKBACK_MS));
    const since = toGlide(new Date(fromGlide(mark) - deps.overlapSeconds * 1000));
    const fields = fieldsOf(table)
      .filter((f) => f.type !== 'journal')
      .map((f) => f.name);
    let newest = mark;
    let fresh = 0;
    let cursor: PageCursor | undefined;
    for (;;) {
      const before = cursor;
      const page = await client.query(table, {
        query: keysetQuery(since, cursor),
        orderBy: KEY_ORDER,
        fields,
        limit: deps.pageSize ?? DEFAULT_PAGE_SIZE,
      });
      for (const row of page.rows) {
        const event = toEvent(table, row);
        const key = { updatedOn: rawValue(row.sys_updated_on) ?? '', sysId: rawValue(row.sys_id) ?? '' };
        if (key.updatedOn && key.sysId) cursor = key;
        if (!event) continue;
        const { duplicate } = await intake.accept(event, 'poll');
        metrics.pollRecords.inc({ table, result: duplicate ? 'known' : 'new' });
        if (!duplicate) fresh++;
        if (event.sys_updated_on > newest) newest = event.sys_updated_on;
      }
      // Everything up to here is in the inbox: a poll cut short (or a crash) resumes from this page.
      if (newest !== mark) await watermarks.set(name, newest, now());
      if (cursor === before || isLastPage(page)) break;
    }
    return fresh;
  }

  /**
   * A polled row as the Business Rule would have sent it. Whether a version the poll found is the
   * record's insert is not the poller's to guess (an insert edited before the poll looks like an
   * update): the dispatcher decides from the store — the first version Snowline sees of a record
   * is its insert (src/engine/event-versions.ts).
   */
  function toEvent(table: WatchedTable, row: SnRecord): TicketEvent | undefined {
    const record: Record<string, string> = {};
    for (const [name, value] of Object.entries(row)) record[name] = rawValue(value) ?? '';
    const modCount = Number(record.sys_mod_count ?? '0');
    const parsed = ticketEventSchema.safeParse({
      event: modCount === 0 ? 'inserted' : 'updated',
      table,
      sys_id: record.sys_id,
      number: record.number,
      sys_mod_count: record.sys_mod_count ?? '0',
      sys_updated_on: record.sys_updated_on,
      sys_updated_by: record.sys_updated_by ?? '',
      changed_fields: [],
      record,
    });
    if (!parsed.success)
      logger.warn('polled record skipped: it does not look like a ticket', {
        table,
        sysId: record.sys_id,
        problem: parsed.error.issues[0]?.message,
      });
    return parsed.success ? parsed.data : undefined;
  }

  return {
    /** One pass over every watched table; returns how many versions no webhook had delivered. */
    async pollOnce(): Promise<number> {
      let fresh = 0;
      for (const table of deps.tables) fresh += await pollTable(table);
      if (fresh > 0) logger.info('poller found versions no webhook delivered', { count: fresh });
      return fresh;
    },
  };
}
export type Poller = ReturnType<typeof createPoller>;

/** `yyyy-MM-dd HH:mm:ss` in UTC, as ServiceNow stores date-times. */
function toGlide(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

function fromGlide(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}
