import { sql, type Kysely } from 'kysely';
import { claimInIndexOrder } from './claim-plans';
import type { StoreDialect } from './dialect';
import type { OutboxRow, Tables } from './schema';

/** A write-back, with the correlation id of its run when claimed (so its log lines carry it). */
export type OutboxEntry = OutboxRow & { correlation_id?: string };

/** What a caller says of a new write-back; the rest is its untried, pending state. */
export type NewWriteback = Pick<
  OutboxRow,
  'id' | 'run_id' | 'table_name' | 'sys_id' | 'ticket_number' | 'fields' | 'marker' | 'next_at'
> &
  Partial<OutboxRow>;

/**
 * States of a write-back not yet settled: still to send, or sent without an answer yet. PostgreSQL's
 * claim reads them in order through a partial index over exactly these states (migration 021): a
 * change here needs a migration for a new index, or the claim sorts every due write-back again.
 */
export const UNSETTLED_OUTBOX_STATES = ['pending', 'sending'] as const;

/** Write-backs waiting to reach ServiceNow, claimed with leases like steps. */
export function outboxRepository(db: Kysely<Tables>, dialect: StoreDialect) {
  /** Write-backs this process enqueued (committed or not): how the engine tells whether a step's work queued any. */
  let enqueued = 0;
  return {
    /** How many write-backs this process has enqueued so far; a change is worth waking the outbox for. */
    enqueuedSoFar: (): number => enqueued,

    /** A new write-back starts pending, unleased and untried; field write-backs may leave out `attachment`. */
    async enqueue(executor: Kysely<Tables>, entry: NewWriteback): Promise<void> {
      enqueued++;
      const untried = {
        attachment: null,
        operation: null,
        state: 'pending',
        attempts: 0,
        lease_owner: null,
        lease_until: null,
        last_error: null,
        result_mod_count: null,
        created_at: entry.next_at,
        sent_at: null,
      } as const;
      // The next place in enqueue order, read by the insert itself: a run's end queues two entries
      // (its PATCH and its output), and a read of its own each was two statements more per run.
      const nextSeq = sql<number>`(select coalesce(max(seq), 0) + 1 from outbox)`;
      await executor
        .insertInto('outbox')
        .values({ ...untried, seq: nextSeq, ...entry })
        .execute();
    },

    /** Claims entries due at `now`; with `dueBy`, only those due by then (an earlier time: due a while already). */
    async claimDue(
      owner: string,
      now: number,
      leaseMs: number,
      limit: number,
      dueBy: number = now,
    ): Promise<OutboxEntry[]> {
      return claimInIndexOrder(db, dialect, async (trx) => {
        let due = trx
          .selectFrom('outbox')
          .select('id')
          .where('state', 'in', [...UNSETTLED_OUTBOX_STATES])
          .where('next_at', '<=', Math.min(now, dueBy))
          .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
          .orderBy('next_at')
          .limit(limit);
        if (dialect === 'postgres') due = due.forUpdate().skipLocked();
        const ids = (await due.execute()).map((r) => r.id);
        if (ids.length === 0) return [];
        const claimed = await trx
          .updateTable('outbox')
          .set({ lease_owner: owner, lease_until: now + leaseMs })
          .where('id', 'in', ids)
          .returningAll()
          .execute();
        const runs = await trx
          .selectFrom('runs')
          .select(['id', 'correlation_id'])
          .where('id', 'in', [...new Set(claimed.map((e) => e.run_id))])
          .execute();
        const correlation = new Map(runs.map((r) => [r.id, r.correlation_id]));
        return claimed.map((entry) => ({ ...entry, correlation_id: correlation.get(entry.run_id) }));
      });
    },

    /** Updates an entry only while `owner` holds its lease. */
    async save(id: string, owner: string, patch: Partial<OutboxEntry>): Promise<boolean> {
      const result = await db
        .updateTable('outbox')
        .set(patch)
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /**
     * Marks entries `owner` holds as being sent, one attempt more each; returns the ids it still
     * held (an entry another instance took over is not sent here).
     */
    async markSending(ids: readonly string[], owner: string): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const marked = await db
        .updateTable('outbox')
        .set((eb) => ({ state: 'sending', attempts: eb('attempts', '+', 1) }))
        .where('id', 'in', [...ids])
        .where('lease_owner', '=', owner)
        .returning('id')
        .execute();
      return new Set(marked.map((r) => r.id));
    },

    /** The same update to several entries `owner` holds (write-backs that shared one PATCH). */
    async saveMany(ids: readonly string[], owner: string, patch: Partial<OutboxEntry>): Promise<void> {
      if (ids.length === 0) return;
      await db
        .updateTable('outbox')
        .set(patch)
        .where('id', 'in', [...ids])
        .where('lease_owner', '=', owner)
        .execute();
    },

    /** extendLease for entries sent together; false once `owner` holds none of them unsettled. */
    async extendLeases(ids: readonly string[], owner: string, until: number): Promise<boolean> {
      const result = await db
        .updateTable('outbox')
        .set({ lease_until: until })
        .where('id', 'in', [...ids])
        .where('lease_owner', '=', owner)
        .where('state', 'in', [...UNSETTLED_OUTBOX_STATES])
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /** Extends the lease on an entry `owner` still holds and has not settled; false when it no longer does. */
    async extendLease(id: string, owner: string, until: number): Promise<boolean> {
      const result = await db
        .updateTable('outbox')
        .set({ lease_until: until })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('state', 'in', [...UNSETTLED_OUTBOX_STATES])
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Write-backs to one record that are in flight or recently sent: used to recognise our own updates. */
    async recentForRecord(sysId: string, since: number): Promise<OutboxEntry[]> {
      return db
        .selectFrom('outbox')
        .selectAll()
        .where('sys_id', '=', sysId)
        .where((eb) => eb.or([eb('state', 'in', [...UNSETTLED_OUTBOX_STATES]), eb('sent_at', '>=', since)]))
        .execute();
    },

    /** States of a run's write-backs, with the error of each that failed. */
    async ofRun(executor: Kysely<Tables>, runId: string): Promise<Array<Pick<OutboxEntry, 'state' | 'last_error'>>> {
      return executor.selectFrom('outbox').select(['state', 'last_error']).where('run_id', '=', runId).execute();
    },

    /** A run's write-backs in the order they were queued (the console's timeline). */
    async forRun(runId: string): Promise<OutboxEntry[]> {
      return db.selectFrom('outbox').selectAll().where('run_id', '=', runId).orderBy('created_at').execute();
    },

    async depth(): Promise<number> {
      const row = await db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', 'in', [...UNSETTLED_OUTBOX_STATES])
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    async releaseLeases(owner: string): Promise<void> {
      await db
        .updateTable('outbox')
        .set({ lease_owner: null, lease_until: null })
        .where('lease_owner', '=', owner)
        .execute();
    },
  };
}
export type OutboxRepository = ReturnType<typeof outboxRepository>;
