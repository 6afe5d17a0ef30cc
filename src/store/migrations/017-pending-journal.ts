import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect';

/**
 * `pending_journal` takes audit entries as they are decided, inside the decision's own transaction,
 * with no lock. A sealer (audit.repository `seal`) moves them into the hash-chained `audit_log` in
 * batches: the chain's one lock is taken once per batch, off the hot path, instead of once per
 * entry in every transaction of every instance.
 */
export const pendingJournal = (dialect: StoreDialect): Migration => ({
  async up(db: Kysely<any>) {
    const id = dialect === 'postgres' ? 'bigserial' : 'integer';
    await db.schema
      .createTable('pending_journal')
      .addColumn('id', id as 'integer', (c) => (id === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('pending_journal').execute();
  },
});
