import { sql, type Kysely } from 'kysely';
import type { StoreDialect } from './dialect';
import type { Tables } from './schema';

/** States that hold a concurrency slot: a paused run has not let go of what it works on. */
export const SLOT_HOLDING_RUN_STATES = ['running', 'paused'] as const;

/** Second key of the admission's transaction lock is the schema's hash, as for the leader lock. */
const ADMISSION_LOCK_CLASS = 0x41646d74; // "Admt"

/** What holds a concurrency slot now, on every instance: counts by rule, and the keys in use. */
export interface HeldSlots {
  /** Every slot holder; undefined when not asked for. */
  total: number | undefined;
  byRule: Map<string, number>;
  keys: Set<string>;
}

/** Runs waiting in state `queued` for a concurrency slot, and the admission that starts them. */
export function runQueueRepository(db: Kysely<Tables>, dialect: StoreDialect) {
  return {
    async anyQueued(): Promise<boolean> {
      const row = await db.selectFrom('runs').select('id').where('state', '=', 'queued').limit(1).executeTakeFirst();
      return row !== undefined;
    },

    async countQueued(): Promise<number> {
      const row = await db
        .selectFrom('runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', '=', 'queued')
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    /**
     * Serialises admissions across instances until `trx` ends (PostgreSQL), so two cannot both see a
     * key free and both take it. SQLite transactions of its one process are serial already.
     */
    async lockAdmission(trx: Kysely<Tables>): Promise<void> {
      if (dialect === 'postgres')
        await sql`SELECT pg_advisory_xact_lock(${ADMISSION_LOCK_CLASS}, hashtext(current_schema()))`.execute(trx);
    },

    /** The oldest queued runs, oldest first (ties by id, so every instance sees one order). */
    async oldestQueued(executor: Kysely<Tables>, limit: number) {
      return executor
        .selectFrom('runs')
        .select(['id', 'rule_id', 'concurrency_key', 'context'])
        .where('state', '=', 'queued')
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute();
    },

    /** Slots held by runs of `rules` and by `keys`, and (with `countAll`) by every run. */
    async heldSlots(
      executor: Kysely<Tables>,
      of: { rules: readonly string[]; keys: readonly string[]; countAll: boolean },
    ): Promise<HeldSlots> {
      const holding = executor.selectFrom('runs').where('state', 'in', [...SLOT_HOLDING_RUN_STATES]);
      const total = of.countAll
        ? await holding.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst()
        : undefined;
      const byRule =
        of.rules.length === 0
          ? []
          : await holding
              .select(['rule_id', (eb) => eb.fn.countAll<number>().as('n')])
              .where('rule_id', 'in', [...of.rules])
              .groupBy('rule_id')
              .execute();
      const keys =
        of.keys.length === 0
          ? []
          : await holding
              .select('concurrency_key')
              .distinct()
              .where('concurrency_key', 'in', [...of.keys])
              .execute();
      return {
        total: of.countAll ? Number(total?.n ?? 0) : undefined,
        byRule: new Map(byRule.map((r) => [r.rule_id, Number(r.n)])),
        keys: new Set(keys.map((r) => r.concurrency_key!)),
      };
    },

    /** Moves the runs still queued among `ids` to running. */
    async markStarted(executor: Kysely<Tables>, ids: readonly string[], at: number): Promise<void> {
      await executor
        .updateTable('runs')
        .set({ state: 'running', updated_at: at })
        .where('id', 'in', [...ids])
        .where('state', '=', 'queued')
        .execute();
    },

    /** A finished run an operator sent on goes back to the queue, to be admitted like a new one. */
    async requeue(executor: Kysely<Tables>, runId: string, at: number): Promise<void> {
      await executor
        .updateTable('runs')
        .set({ state: 'queued', updated_at: at, finished_at: null })
        .where('id', '=', runId)
        .execute();
    },
  };
}
export type RunQueueRepository = ReturnType<typeof runQueueRepository>;
