import { CompiledQuery, type Kysely } from 'kysely';
import { boundedCache } from '../bounded-cache';
import type { StoreDialect } from './dialect';
import type { InboxEventRow, Tables } from './schema';

/** What a new inbox event carries; the rest of its row takes the defaults (pending, unclaimed, never tried). */
export type NewInboxEvent = Omit<
  InboxEventRow,
  'seq' | 'status' | 'note' | 'processed_at' | 'lease_owner' | 'lease_until' | 'attempts' | 'next_at' | 'failing_since'
>;

export interface AppendResult {
  duplicate: boolean;
  seq?: number;
}

const COLUMNS = [
  'event_key',
  'table_name',
  'sys_id',
  'number',
  'mod_count',
  'kind',
  'source',
  'payload',
  'correlation_id',
  'received_at',
] as const satisfies readonly (keyof NewInboxEvent)[];

/** Rows per statement: 10 parameters each, far below either engine's limit on parameters. */
const ROWS_PER_STATEMENT = 64;

/** `rows` new events in one statement, each inserted unless its key is in already; returns the new ones' keys. */
function insertText(dialect: StoreDialect, rows: number): string {
  let parameter = 0;
  const placeholder = () => (dialect === 'postgres' ? `$${++parameter}` : '?');
  const tuple = () => `(${COLUMNS.map(placeholder).join(', ')}, 'pending')`;
  const columns = COLUMNS.map((c) => `"${c}"`).join(', ');
  return (
    `insert into "inbox_events" (${columns}, "status") values ${Array.from({ length: rows }, tuple).join(', ')} ` +
    'on conflict ("event_key") do nothing returning "seq", "event_key"'
  );
}

/**
 * Appends events. The inbox insert is the one write on the webhook's path, so it skips the query
 * builder: its SQL is written once per row count and only
 * the parameters change; SQLite reuses the compiled statement (database.ts). One statement (atomic
 * on its own) for up to ROWS_PER_STATEMENT events, one transaction around several. An event whose
 * key is already stored, or appears earlier in the same batch, is a duplicate and changes nothing.
 */
export function inboxInserter(db: Kysely<Tables>, dialect: StoreDialect) {
  const textFor = boundedCache(ROWS_PER_STATEMENT, (rows: number) => insertText(dialect, rows));

  async function insertChunk(executor: Kysely<Tables>, events: readonly NewInboxEvent[]): Promise<AppendResult[]> {
    const parameters = events.flatMap((event) => COLUMNS.map((column) => event[column]));
    const { rows } = await executor.executeQuery<{ seq: number; event_key: string }>(
      CompiledQuery.raw(textFor(events.length), parameters),
    );
    const inserted = new Map(rows.map((row) => [row.event_key, Number(row.seq)]));
    return events.map((event) => {
      const seq = inserted.get(event.event_key);
      inserted.delete(event.event_key);
      return seq === undefined ? { duplicate: true } : { duplicate: false, seq };
    });
  }

  return async function insert(events: readonly NewInboxEvent[]): Promise<AppendResult[]> {
    if (events.length === 0) return [];
    if (events.length <= ROWS_PER_STATEMENT) return insertChunk(db, events);
    return db.transaction().execute(async (trx) => {
      const results: AppendResult[] = [];
      for (let at = 0; at < events.length; at += ROWS_PER_STATEMENT)
        results.push(...(await insertChunk(trx, events.slice(at, at + ROWS_PER_STATEMENT))));
      return results;
    });
  };
}
