import type { ServiceNowClient } from '../../connectors/servicenow/client';
import { fieldsOf } from '../../connectors/servicenow/dictionary';
import { queryValue, rawValue, type SnRecord } from '../../connectors/servicenow/schemas';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { WatermarkRepository } from '../store/watermark.repository';
import { ticketEventSchema, type TicketEvent, type WatchedTable } from './event.schema';
import type { Intake } from './intake';

export interface PollerDeps {
  client: ServiceNowClient;
  intake: Intake;
  watermarks: WatermarkRepository;
  logger: Logger;
  metrics: Metrics;
  tables: readonly WatchedTable[];
  /** How far before the watermark each poll starts: absorbs clock skew and same-second updates. */
  overlapSeconds: number;
  now?: () => number;
}

const PAGE_SIZE = 200;
/** Before the first poll there is no watermark: look back this far, not at the whole table. */
const FIRST_POLL_LOOKBACK_MS = 60 * 60 * 1000;

/**
 * The safety net under the webhooks: reads every record updated since the table's watermark and
 * offers each version to the inbox, which keeps it only if no webhook brought it already. After
 * downtime it catches up from the persisted watermark. Counts the versions it found that webhooks
 * had not delivered (`snowline_poll_records_total{result="new"}`).
 */
export function createPoller(deps: PollerDeps) {
  const now = deps.now ?? Date.now;
  const { client, intake, watermarks, logger, metrics } = deps;

  async function pollTable(table: WatchedTable): Promise<number> {
    const mark = (await watermarks.get(`poll:${table}`)) ?? toGlide(new Date(now() - FIRST_POLL_LOOKBACK_MS));
    const since = toGlide(new Date(fromGlide(mark) - deps.overlapSeconds * 1000));
    const fields = fieldsOf(table).filter((f) => f.type !== 'journal').map((f) => f.name);
    let newest = mark;
    let fresh = 0;
    for await (const row of client.queryAll(table, { query: `sys_updated_on>=${queryValue(since)}`, orderBy: [{ field: 'sys_updated_on' }, { field: 'sys_id' }], fields, limit: PAGE_SIZE })) {
      const event = toEvent(table, row, mark);
      if (!event) continue;
      const { duplicate } = await intake.accept(event, 'poll');
      metrics.pollRecords.inc({ table, result: duplicate ? 'known' : 'new' });
      if (!duplicate) fresh++;
      if (event.sys_updated_on > newest) newest = event.sys_updated_on;
    }
    if (newest !== mark) await watermarks.set(`poll:${table}`, newest, now());
    return fresh;
  }

  /** A polled row as the Business Rule would have sent it. A record created since the last poll counts as inserted. */
  function toEvent(table: WatchedTable, row: SnRecord, watermark: string): TicketEvent | undefined {
    const record: Record<string, string> = {};
    for (const [name, value] of Object.entries(row)) record[name] = rawValue(value) ?? '';
    const modCount = Number(record.sys_mod_count ?? '0');
    const createdSinceMark = (record.sys_created_on ?? '') >= watermark;
    const parsed = ticketEventSchema.safeParse({
      event: modCount === 0 || createdSinceMark ? 'inserted' : 'updated',
      table,
      sys_id: record.sys_id,
      number: record.number,
      sys_mod_count: record.sys_mod_count ?? '0',
      sys_updated_on: record.sys_updated_on,
      sys_updated_by: record.sys_updated_by ?? '',
      changed_fields: [],
      record,
    });
    if (!parsed.success) logger.warn('polled record skipped: it does not look like a ticket', { table, sysId: record.sys_id, problem: parsed.error.issues[0]?.message });
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
