import type { Kysely } from 'kysely';
import type { StoreDialect } from './dialect';
import type { InboxEventRow, Tables } from './schema';

export type NewInboxEvent = Omit<
  InboxEventRow,
  'seq' | 'status' | 'note' | 'processed_at' | 'lease_owner' | 'lease_until'
>;
export type InboxEvent = Omit<InboxEventRow, 'seq'> & { seq: number };

export interface AppendResult {
  duplicate: boolean;
  seq?: number;
}

async function insertOnce(db: Kysely<Tables>, event: NewInboxEvent): Promise<AppendResult> {
  const row = await db
    .insertInto('inbox_events')
    .values({ ...event, status: 'pending', note: null, processed_at: null, lease_owner: null, lease_until: null })
    .onConflict((oc) => oc.column('event_key').doNothing())
    .returning('seq')
    .executeTakeFirst();
  return row ? { duplicate: false, seq: row.seq } : { duplicate: true };
}

/** The durable inbox: one row per record version, whatever delivered it, in arrival order. */
export function inboxRepository(db: Kysely<Tables>, dialect: StoreDialect) {
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
      return db
        .selectFrom('inbox_events')
        .selectAll()
        .where('status', '=', 'pending')
        .orderBy('seq')
        .limit(limit)
        .execute();
    },

    /**
     * Claims up to `limit` pending events for `owner` until `now + leaseMs`, at most one per ticket:
     * the ticket's oldest pending version (by sys_mod_count, then arrival), and only while no other
     * dispatcher holds it. So one ticket's events are dispatched in order and never at once, on any
     * number of instances; an instance that dies holding a claim frees it when the lease expires.
     */
    async claimPending(owner: string, now: number, leaseMs: number, limit: number): Promise<InboxEvent[]> {
      return db.transaction().execute(async (trx) => {
        let due = trx
          .selectFrom('inbox_events as e')
          .select('e.seq')
          .where('e.status', '=', 'pending')
          .where((eb) => eb.or([eb('e.lease_until', 'is', null), eb('e.lease_until', '<', now)]))
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('inbox_events as older')
                  .select('older.seq')
                  .whereRef('older.sys_id', '=', 'e.sys_id')
                  .whereRef('older.table_name', '=', 'e.table_name')
                  .where('older.status', '=', 'pending')
                  .where((eb) =>
                    eb.or([
                      eb('older.mod_count', '<', eb.ref('e.mod_count')),
                      eb.and([
                        eb('older.mod_count', '=', eb.ref('e.mod_count')),
                        eb('older.seq', '<', eb.ref('e.seq')),
                      ]),
                    ]),
                  ),
              ),
            ),
          )
          .orderBy('e.seq')
          .limit(limit);
        // SKIP LOCKED: an event another instance is claiming right now is left to it. Its younger
        // siblings stay out too: the older one is still pending.
        if (dialect === 'postgres') due = due.forUpdate().skipLocked();
        const seqs = (await due.execute()).map((r) => r.seq);
        if (seqs.length === 0) return [];
        return trx
          .updateTable('inbox_events')
          .set({ lease_owner: owner, lease_until: now + leaseMs })
          .where('seq', 'in', seqs)
          .returningAll()
          .execute()
          .then((rows) => rows.sort((a, b) => a.seq - b.seq));
      });
    },

    /** Gives back the claims `owner` holds (graceful shutdown). */
    async releaseLeases(owner: string): Promise<void> {
      await db
        .updateTable('inbox_events')
        .set({ lease_owner: null, lease_until: null })
        .where('lease_owner', '=', owner)
        .where('status', '=', 'pending')
        .execute();
    },

    async settle(seq: number, status: 'done' | 'dropped', note: string | null, now: number): Promise<void> {
      await db.updateTable('inbox_events').set({ status, note, processed_at: now }).where('seq', '=', seq).execute();
    },

    async countByStatus(): Promise<Record<string, number>> {
      const rows = await db
        .selectFrom('inbox_events')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
  };
}
export type InboxRepository = ReturnType<typeof inboxRepository>;
