import type { ExpressionBuilder, Kysely } from 'kysely';
import { claimInIndexOrder } from './claim-plans';
import type { StoreDialect } from './dialect';
import { groupedBy } from './grouped-by';
import { inboxInserter, type AppendResult, type NewInboxEvent } from './inbox-insert';
import type { InboxEventRow, Tables } from './schema';

export type { AppendResult, NewInboxEvent } from './inbox-insert';

export type InboxEvent = Omit<InboxEventRow, 'seq' | 'attempts'> & { seq: number; attempts: number };

/** Where an event stands; see docs/faults-and-outcomes.md. */
export const EVENT_STATES = ['pending', 'done', 'dropped', 'superseded', 'rejected'] as const;
export type EventState = (typeof EVENT_STATES)[number];

/** How an event ended, once no rule is left to act on it. */
export type EventOutcome = Exclude<EventState, 'pending'>;

/**
 * The event is still pending under the claim it was read with: a dispatcher whose claim ran out
 * (it was slow) and was taken by another instance must not end the event too, nor act on it twice.
 */
function stillClaimed(seqs: readonly number[], leaseOwner: string | null) {
  return (eb: ExpressionBuilder<Tables, 'inbox_events'>) =>
    eb.and([
      eb('seq', 'in', seqs),
      eb('status', '=', 'pending'),
      leaseOwner === null ? eb('lease_owner', 'is', null) : eb('lease_owner', '=', leaseOwner),
    ]);
}

/** How an event a dispatcher holds ends. */
export type Settlement = { event: InboxEvent; status: EventOutcome; note: string };

/** How `newestHandled` names a record. */
export const recordKey = (table: string, sysId: string): string => `${table}|${sysId}`;

/** The durable inbox: one row per record version, whatever delivered it, in arrival order. */
export function inboxRepository(db: Kysely<Tables>, dialect: StoreDialect) {
  const insert = inboxInserter(db, dialect);

  /**
   * Ends, in one transaction, events their dispatcher still holds (see `stillClaimed`), with one
   * update per outcome and note shared; returns the events it no longer held (nothing is ended
   * for those, and the caller rolls back what it wrote for them).
   */
  async function settleAllClaimed(
    executor: Kysely<Tables>,
    settlements: readonly Settlement[],
    now: number,
  ): Promise<InboxEvent[]> {
    const lost: InboxEvent[] = [];
    for (const group of groupedBy(settlements, (s) => JSON.stringify([s.status, s.note, s.event.lease_owner]))) {
      const { status, note, event } = group[0]!;
      const seqs = group.map((s) => s.event.seq);
      const ended = await executor
        .updateTable('inbox_events')
        .set({ status, note, processed_at: now, lease_owner: null, lease_until: null, next_at: null })
        .where(stillClaimed(seqs, event.lease_owner))
        .returning('seq')
        .execute();
      const endedSeqs = new Set(ended.map((row) => Number(row.seq)));
      lost.push(...group.filter((s) => !endedSeqs.has(s.event.seq)).map((s) => s.event));
    }
    return lost;
  }

  return {
    /** Stores the event unless its key is already there; says which. */
    async append(event: NewInboxEvent): Promise<AppendResult> {
      return (await insert([event]))[0]!;
    },

    /** Appends several events at once: one commit (one WAL write or fsync) for all, each told whether it was new. */
    async appendAll(events: readonly NewInboxEvent[]): Promise<AppendResult[]> {
      return insert(events);
    },

    /**
     * Whether Snowline took in an older version of this record (by sys_mod_count), however it
     * came and however it ended: the first version it ever sees of a record is its insert.
     */
    async olderVersionSeen(table: string, sysId: string, modCount: number): Promise<boolean> {
      // sys_mod_count starts at 0: nothing is older than a record's first version (most events are inserts).
      if (modCount <= 0) return false;
      const row = await db
        .selectFrom('inbox_events')
        .select('seq')
        .where('sys_id', '=', sysId)
        .where('table_name', '=', table)
        .where('mod_count', '<', modCount)
        .executeTakeFirst();
      return row !== undefined;
    },

    /**
     * Per record (`table|sys_id`, see `recordKey`), the newest version already dispatched (no longer
     * pending): read for a dispatcher's whole batch in one query. Records with none are absent.
     */
    async newestHandled(records: readonly { table: string; sysId: string }[]): Promise<Map<string, number>> {
      const newest = new Map<string, number>();
      if (records.length === 0) return newest;
      const rows = await db
        .selectFrom('inbox_events')
        .select(['table_name', 'sys_id', (eb) => eb.fn.max('mod_count').as('newest')])
        .where('sys_id', 'in', [...new Set(records.map((r) => r.sysId))])
        .where('status', '!=', 'pending')
        .groupBy(['table_name', 'sys_id'])
        .execute();
      for (const row of rows) newest.set(recordKey(row.table_name, row.sys_id), Number(row.newest));
      return newest;
    },

    /** The oldest unprocessed events that are due (not waiting for a retry after `now`); the dispatcher handles them in this order. */
    async pending(limit: number, now = Number.MAX_SAFE_INTEGER): Promise<InboxEvent[]> {
      return db
        .selectFrom('inbox_events')
        .selectAll()
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('next_at', 'is', null), eb('next_at', '<=', now)]))
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
      const claimed = await claimInIndexOrder(db, dialect, async (trx) => {
        let due = trx
          .selectFrom('inbox_events as e')
          .select('e.seq')
          .where('e.status', '=', 'pending')
          .where((eb) => eb.or([eb('e.lease_until', 'is', null), eb('e.lease_until', '<', now)]))
          .where((eb) => eb.or([eb('e.next_at', 'is', null), eb('e.next_at', '<=', now)]))
          // `e` is its record's first pending version (by sys_mod_count, then arrival). Asked as "the
          // first of the record's pending versions", not "no older one is pending": with the sorts
          // claimInIndexOrder rules out, only the by-record index answers it, whatever the statistics.
          .where((eb) =>
            eb(
              'e.seq',
              '=',
              eb
                .selectFrom('inbox_events as first')
                .select('first.seq')
                .whereRef('first.sys_id', '=', 'e.sys_id')
                .whereRef('first.table_name', '=', 'e.table_name')
                .where('first.status', '=', 'pending')
                .orderBy('first.mod_count')
                .orderBy('first.seq')
                .limit(1),
            ),
          )
          .orderBy('e.seq')
          .limit(limit);
        // SKIP LOCKED: an event another instance is claiming right now is left to it. Its younger
        // siblings stay out too: the older one is still pending.
        if (dialect === 'postgres') due = due.forUpdate().skipLocked();
        return trx
          .updateTable('inbox_events')
          .set({ lease_owner: owner, lease_until: now + leaseMs })
          .where('seq', 'in', due)
          .returningAll()
          .execute();
      });
      return claimed.sort((a, b) => a.seq - b.seq);
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

    /** Ends an event (outside a dispatch transaction: a rejection, or a superseded version). */
    async settle(seq: number, status: EventOutcome, note: string | null, now: number): Promise<void> {
      await db
        .updateTable('inbox_events')
        .set({ status, note, processed_at: now, lease_owner: null, lease_until: null, next_at: null })
        .where('seq', '=', seq)
        .execute();
    },

    /**
     * Ends an event its dispatcher still holds (see `stillClaimed`); false when it no longer does.
     * Given a transaction, the event ends with what it yielded or not at all.
     */
    async settleClaimed(
      event: InboxEvent,
      status: EventOutcome,
      note: string,
      now: number,
      executor: Kysely<Tables> = db,
    ): Promise<boolean> {
      return (await settleAllClaimed(executor, [{ event, status, note }], now)).length === 0;
    },

    settleAllClaimed,

    /** A dispatch failed for a reason that may pass: try again at `nextAt`, and say why meanwhile (false: no longer held). */
    async retryLater(event: InboxEvent, reason: string, nextAt: number, now: number): Promise<boolean> {
      const result = await db
        .updateTable('inbox_events')
        .set({
          attempts: event.attempts + 1,
          note: reason,
          next_at: nextAt,
          failing_since: event.failing_since ?? now,
          lease_owner: null,
          lease_until: null,
        })
        .where(stillClaimed([event.seq], event.lease_owner))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async get(seq: number): Promise<InboxEvent | undefined> {
      return db.selectFrom('inbox_events').selectAll().where('seq', '=', seq).executeTakeFirst();
    },

    /** Events newest first, by state and ticket number (the operators' list). */
    async list(filter: { state?: EventState; ticket?: string; limit: number }): Promise<InboxEvent[]> {
      let query = db.selectFrom('inbox_events').selectAll().orderBy('seq', 'desc').limit(filter.limit);
      if (filter.state) query = query.where('status', '=', filter.state);
      if (filter.ticket) query = query.where('number', '=', filter.ticket);
      return query.execute();
    },

    /**
     * Sends a rejected event back to the dispatcher as if it had just arrived (after its cause was
     * fixed: a mapping corrected, a user created). false when it is not rejected (any more).
     */
    async replay(executor: Kysely<Tables>, seq: number, note: string): Promise<boolean> {
      const result = await executor
        .updateTable('inbox_events')
        .set({
          status: 'pending',
          note,
          processed_at: null,
          attempts: 0,
          next_at: null,
          failing_since: null,
          lease_owner: null,
          lease_until: null,
        })
        .where('seq', '=', seq)
        .where('status', '=', 'rejected')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
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
