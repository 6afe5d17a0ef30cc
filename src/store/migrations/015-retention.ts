import type { Kysely, Migration } from 'kysely';

/**
 * Retention (src/retention/):
 * - `archived_runs` keeps pruned runs findable by ticket: which archive file holds each;
 * - `audit_checkpoints` records each cut of the audit journal (the last pruned entry's number and
 *   hash, and the journal's identity), so `audit verify` proves the kept part from there;
 * - runs and steps are found by when they finished.
 */
export const retention = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('archived_runs')
      .addColumn('run_id', 'text', (c) => c.primaryKey())
      .addColumn('ticket_number', 'text', (c) => c.notNull())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('archive', 'text', (c) => c.notNull())
      .addColumn('archived_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('archived_runs_by_ticket')
      .on('archived_runs')
      .columns(['ticket_number', 'created_at'])
      .execute();
    await db.schema
      .createTable('audit_checkpoints')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('journal', 'text', (c) => c.notNull())
      .addColumn('archive', 'text', (c) => c.notNull())
      .addColumn('cut_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('runs_by_finished').on('runs').column('finished_at').execute();
    await db.schema.createIndex('steps_by_finished').on('steps').column('finished_at').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('steps_by_finished').execute();
    await db.schema.dropIndex('runs_by_finished').execute();
    await db.schema.dropTable('audit_checkpoints').execute();
    await db.schema.dropTable('archived_runs').execute();
  },
});
