import { createHash } from 'node:crypto';
import { sql, type Insertable, type Kysely } from 'kysely';
import type { StoreDialect } from './dialect';
import { heldRows } from './held-rows';
import { jsonObjectSchema, parseJsonColumn } from './json-column';
import type { AuditRow, PendingJournalRow, Tables } from './schema';

/** One decision worth proving later: what happened, who did it, to what. */
export interface AuditEntry {
  kind: string;
  actor: string;
  subject: string;
  detail: Record<string, unknown>;
}

const GENESIS = '0'.repeat(64);

/** An entry's detail (`audit_log.detail`), checked to be the object every entry records. */
export function auditDetail(row: Pick<AuditRow, 'seq' | 'detail'>): Record<string, unknown> {
  return parseJsonColumn(jsonObjectSchema, { table: 'audit_log', column: 'detail', id: row.seq }, row.detail);
}

/** The hash of an entry covers its content and the previous entry's hash, so any edit breaks the chain. */
function hashOf(row: Omit<AuditRow, 'hash'>): string {
  return createHash('sha256')
    .update(
      [row.prev_hash, String(row.seq), String(row.at), row.kind, row.actor, row.subject, row.detail].join('\u001f'),
    )
    .digest('hex');
}

/** Entries chained per sealing transaction: one lock and one round trip per batch rather than per entry. */
const SEAL_BATCH = 500;
/** The PostgreSQL advisory lock that keeps two sealers from forking the chain. */
const CHAIN_LOCK = 7246001;

/**
 * The append-only, hash-chained audit journal. An entry is appended to `pending_journal` inside the
 * transaction of the decision it records (committed with it, no lock), and `seal` chains pending
 * entries into `audit_log` in batches. Readers seal first, so what they read is the whole journal.
 */
export function auditRepository(db: Kysely<Tables>, dialect: StoreDialect) {
  const held = heldRows<Insertable<PendingJournalRow>>();

  const newestCheckpoint = () =>
    db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();

  const anyPending = async () =>
    (await db.selectFrom('pending_journal').select('id').limit(1).executeTakeFirst()) !== undefined;

  /** Chains one batch of pending entries; returns how many, or undefined when another sealer holds the chain. */
  const sealBatch = (wait: boolean) =>
    db.transaction().execute(async (trx): Promise<number | undefined> => {
      if (dialect === 'postgres') {
        if (wait) await sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`.execute(trx);
        else {
          const { rows } = await sql<{
            locked: boolean;
          }>`select pg_try_advisory_xact_lock(${CHAIN_LOCK}) as locked`.execute(trx);
          if (!rows[0]?.locked) return undefined;
        }
      }
      const pending = await trx.selectFrom('pending_journal').selectAll().orderBy('id').limit(SEAL_BATCH).execute();
      if (pending.length === 0) return 0;
      const last = await trx
        .selectFrom('audit_log')
        .select(['seq', 'hash'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const cut = last
        ? undefined
        : await trx
            .selectFrom('audit_checkpoints')
            .select(['seq', 'hash'])
            .orderBy('seq', 'desc')
            .limit(1)
            .executeTakeFirst();
      let seq = last?.seq ?? cut?.seq ?? 0;
      let prev = last?.hash ?? cut?.hash ?? GENESIS;
      const chained = pending.map((entry) => {
        const row = {
          seq: ++seq,
          at: entry.at,
          kind: entry.kind,
          actor: entry.actor,
          subject: entry.subject,
          detail: entry.detail,
          prev_hash: prev,
        };
        prev = hashOf(row);
        return { ...row, hash: prev };
      });
      await trx.insertInto('audit_log').values(chained).execute();
      await trx
        .deleteFrom('pending_journal')
        .where(
          'id',
          'in',
          pending.map((p) => p.id),
        )
        .execute();
      return pending.length;
    });

  /**
   * Chains every pending entry. With `wait`, it waits for another sealer to finish (readers, who
   * must see the whole journal); without, it leaves the work to the sealer already at it.
   */
  async function seal(wait = true): Promise<number> {
    // The sealer asks every tick on every instance: an idle journal costs one read, not a transaction and a lock.
    if (!(await anyPending())) return 0;
    let sealed = 0;
    for (;;) {
      const batch = await sealBatch(wait);
      if (!batch) return sealed;
      sealed += batch;
      if (batch < SEAL_BATCH) return sealed;
    }
  }

  /** Seals first, so a reader never misses a committed decision. */
  const sealed = async () => {
    await seal(true);
  };

  return {
    /** Appends inside the caller's transaction so the entry commits with the decision it records. */
    async append(executor: Kysely<Tables>, entry: AuditEntry, now: number): Promise<void> {
      const row = {
        at: now,
        kind: entry.kind,
        actor: entry.actor,
        subject: entry.subject,
        detail: JSON.stringify(entry.detail),
      };
      const holding = held.of(executor);
      if (holding) holding.push(row);
      else await executor.insertInto('pending_journal').values(row).execute();
    },

    /** Runs `work` in `trx` with the entries it appends held, then writes them together (see heldRows). */
    appendingAtEnd<T>(trx: Kysely<Tables>, work: () => Promise<T>): Promise<T> {
      return held.around(trx, work, (rows) => trx.insertInto('pending_journal').values(rows).execute());
    },

    seal,
    /** Seals what is pending, if anything: for readers of `audit_log` outside this repository. */
    sealed,

    /** Walks the chain; reports the first entry whose content or link does not verify. */
    async verify(): Promise<
      { ok: true; entries: number } | { ok: false; entries: number; brokenAt: number; reason: string }
    > {
      await sealed();
      // After retention cut the journal, the kept part chains on from the newest checkpoint.
      const cut = await newestCheckpoint();
      let prev = cut?.hash ?? GENESIS;
      let count = 0;
      let after = cut?.seq ?? 0;
      for (;;) {
        const rows = await db
          .selectFrom('audit_log')
          .selectAll()
          .where('seq', '>', after)
          .orderBy('seq')
          .limit(1000)
          .execute();
        if (rows.length === 0) return { ok: true, entries: count };
        for (const row of rows) {
          if (row.seq !== after + 1)
            return { ok: false, entries: count, brokenAt: after + 1, reason: 'the entry was deleted' };
          if (row.prev_hash !== prev)
            return {
              ok: false,
              entries: count,
              brokenAt: row.seq,
              reason: 'an entry before it was deleted or altered',
            };
          if (hashOf(row) !== row.hash)
            return { ok: false, entries: count, brokenAt: row.seq, reason: 'its content was altered' };
          prev = row.hash;
          count++;
          after = row.seq;
        }
      }
    },

    /**
     * What an anchor records: the journal's identity (its first entry's hash, which a chain rebuilt
     * from scratch cannot keep), its newest entry's number and hash; undefined when it is empty.
     */
    async head(): Promise<{ journal: string; seq: number; hash: string } | undefined> {
      await sealed();
      const first =
        (await db.selectFrom('audit_log').select('hash').where('seq', '=', 1).executeTakeFirst()) ??
        (await newestCheckpoint().then((cut) => cut && { hash: cut.journal }));
      const last = await db
        .selectFrom('audit_log')
        .select(['seq', 'hash'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      return first && last ? { journal: first.hash, seq: last.seq, hash: last.hash } : undefined;
    },

    /** The newest cut made by retention (src/retention/audit-pruning.ts), if any. */
    newestCheckpoint,

    /** The hash of entry `seq` (kept, or the last of a cut), or undefined when there is no such entry. */
    async hashAt(seq: number): Promise<string | undefined> {
      await sealed();
      const entry = await db.selectFrom('audit_log').select('hash').where('seq', '=', seq).executeTakeFirst();
      return (
        entry?.hash ??
        (await db.selectFrom('audit_checkpoints').select('hash').where('seq', '=', seq).executeTakeFirst())?.hash
      );
    },

    /** Entries from `from` (inclusive) to `to` (exclusive), oldest first, optionally of one kind, actor or subject. */
    async between(filter: {
      from: number;
      to: number;
      kind?: string;
      actor?: string;
      subject?: string;
      afterSeq?: number;
      limit: number;
    }) {
      await sealed();
      let query = db
        .selectFrom('audit_log')
        .selectAll()
        .where('at', '>=', filter.from)
        .where('at', '<', filter.to)
        .where('seq', '>', filter.afterSeq ?? 0)
        .orderBy('seq')
        .limit(filter.limit);
      if (filter.kind) query = query.where('kind', '=', filter.kind);
      if (filter.actor) query = query.where('actor', '=', filter.actor);
      if (filter.subject) query = query.where('subject', '=', filter.subject);
      return query.execute();
    },

    async list(filter: { subject?: string; limit: number }) {
      await sealed();
      let query = db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(filter.limit);
      if (filter.subject) query = query.where('subject', '=', filter.subject);
      return query.execute();
    },
  };
}
export type AuditRepository = ReturnType<typeof auditRepository>;
