import type { Kysely } from 'kysely';
import type { InboxEventRow, Tables } from './schema';

export type NewInboxEvent = Omit<InboxEventRow, 'seq' | 'status' | 'note' | 'processed_at'>;
export type InboxEvent = Omit<InboxEventRow, 'seq'> & { seq: number };

export interface AppendResult {
  duplicate: boolean;
  seq?: number;
}

async function insertOnce(db: Kysely<Tables>, event: NewInboxEvent): Promise<AppendResult> {
  const row = await db
    .insertInto('inbox_events')
    .values({ ...event, status: 'pending', note: null, processed_at: null })
    .onConflict((oc) => oc.column('event_key').doNothing())
    .returning('seq')
    .executeTakeFirst();
  return row ? { duplicate: false, seq: row.seq } : { duplicate: true };
}

/** The durable inbox: one row per record version, whatever delivered it, in arrival order. */
export function inboxRepository(db: Kysely<Tables>) {
  return {
    /** Stores the event unless its key is already there; says which. */
    async append(event: NewInboxEvent): Promise<AppendResult> {
      return insertOnce(db, event);
    },

    /** Appends several events in one transaction: one commit (one WAL write or fsync) for all. */
    async appendAll(events: NewInboxEvent[]): Promise<AppendResult[]> {
      return db.transaction().execute(async (trx) => {
        const results: AppendResult[] = [];
        for (const event of events) results.push(await insertOnce(trx, event));
        return results;
      });
    },

    /** Whether an insert of this record was already taken in, before `beforeSeq`. */
    async insertSeenBefore(table: string, sysId: string, beforeSeq: number): Promise<boolean> {
      const row = await db
        .selectFrom('inbox_events')
        .select('seq')
        .where('sys_id', '=', sysId)
        .where('table_name', '=', table)
        .where('kind', '=', 'inserted')
        .where('seq', '<', beforeSeq)
        .executeTakeFirst();
      return row !== undefined;
    },

    /** The oldest unprocessed events; the dispatcher handles them in this order. */
    async pending(limit: number): Promise<InboxEvent[]> {
      return db.selectFrom('inbox_events').selectAll().where('status', '=', 'pending').orderBy('seq').limit(limit).execute();
    },

    async settle(seq: number, status: 'done' | 'dropped', note: string | null, now: number): Promise<void> {
      await db.updateTable('inbox_events').set({ status, note, processed_at: now }).where('seq', '=', seq).execute();
    },

    async countByStatus(): Promise<Record<string, number>> {
      const rows = await db.selectFrom('inbox_events').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
  };
}
export type InboxRepository = ReturnType<typeof inboxRepository>;
