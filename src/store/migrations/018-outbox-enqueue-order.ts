import type { Kysely, Migration } from 'kysely';

/**
 * The order write-backs were queued in: several of one ticket are sent as one PATCH, fields merged
 * in that order, and entries queued in the same millisecond (one transaction) must not be merged
 * in a random one. `seq` grows with each entry (entries queued by concurrent transactions may share
 * one: their order is no better known).
 */
export const outboxEnqueueOrder = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.alterTable('outbox').addColumn('seq', 'bigint').execute();
    await db.schema.createIndex('outbox_by_seq').on('outbox').column('seq').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('outbox_by_seq').execute();
    await db.schema.alterTable('outbox').dropColumn('seq').execute();
  },
});
