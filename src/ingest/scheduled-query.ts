import type { ServiceNowClient } from '../../connectors/servicenow/client';
import { fieldsOf } from '../../connectors/servicenow/dictionary';
import { rawValue } from '../../connectors/servicenow/schemas';
import type { Logger } from '../observability/logger';
import { parseEncodedQuery, printEncodedQuery, type EncodedQuery } from '../rules/encoded-query';
import type { ScheduleTrigger } from '../rules/schedule.schema';
import type { WatchedTable } from '../engine/event.schema';
import type { Intake } from './intake';
import { eventOfRow } from './poller';

export interface ScheduledQueryDeps {
  /** Only pages of the Table API are needed. */
  client: Pick<ServiceNowClient, 'query'>;
  intake: Pick<Intake, 'acceptScheduled'>;
  logger: Logger;
  /** Rows per Table API page; default 200. */
  pageSize?: number;
}

/** One tick of one rule's schedule. */
export interface ScheduledTick {
  rule: string;
  table: WatchedTable;
  schedule: ScheduleTrigger;
  /** The time the tick was scheduled for: every instance names the same tick the same way. */
  at: Date;
}

const DEFAULT_PAGE_SIZE = 200;

/**
 * The query of one page: the rule's query with `sys_id > cursor` added to each of its `^NQ`
 * groups (a term appended at the end would bind to the last group only), ordered by sys_id.
 * Keyset paging, as the poller's: a record the run of an earlier page changes cannot shift a later
 * page and make it skip a row, as offsets would.
 */
export function pageQuery(query: EncodedQuery, cursor: string | undefined): string {
  const after = cursor
    ? [[{ field: 'sys_id', operator: '>' as const, value: cursor, raw: `sys_id>${cursor}`, offset: 0 }]]
    : [];
  return printEncodedQuery({
    groups: query.groups.map((group) => [...group, ...after]),
    orderBy: [{ field: 'sys_id', descending: false }],
  });
}

/**
 * Runs a scheduled rule's query for one tick and offers each record found to the inbox as an event
 * for that rule, keyed by rule, tick and record: a record is handled once per tick however many
 * instances or attempts offer it. Returns how many records were new to the inbox.
 */
export function createScheduledQueries(deps: ScheduledQueryDeps) {
  const { client, intake, logger } = deps;

  return async function runTick(tick: ScheduledTick): Promise<number> {
    const match = { rule: tick.rule, tick: tick.at.toISOString() };
    const { query } = parseEncodedQuery(tick.schedule.query);
    const fields = fieldsOf(tick.table)
      .filter((f) => f.type !== 'journal')
      .map((f) => f.name);
    const limit = Math.min(deps.pageSize ?? DEFAULT_PAGE_SIZE, tick.schedule.max_records);
    let taken = 0;
    let fresh = 0;
    let cursor: string | undefined;
    while (taken < tick.schedule.max_records) {
      const page = await client.query(tick.table, { query: pageQuery(query, cursor), fields, limit });
      for (const row of page.rows.slice(0, tick.schedule.max_records - taken)) {
        taken++;
        const { event, problem } = eventOfRow(tick.table, row);
        if (!event) {
          logger.warn('scheduled query found a record that does not look like a ticket', { ...match, problem });
          continue;
        }
        if (!(await intake.acceptScheduled(event, match)).duplicate) fresh++;
      }
      const last = rawValue(page.rows.at(-1)?.sys_id);
      if (page.rows.length < limit || !last || last === cursor) break;
      cursor = last;
    }
    if (taken >= tick.schedule.max_records)
      logger.warn('scheduled query reached max_records; the rest wait for the next tick', {
        ...match,
        maxRecords: tick.schedule.max_records,
      });
    logger.info('scheduled query ran', { ...match, table: tick.table, found: taken, new: fresh });
    return fresh;
  };
}
export type ScheduledQueries = ReturnType<typeof createScheduledQueries>;
