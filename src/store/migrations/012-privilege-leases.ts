import type { Kysely, Migration } from 'kysely';

/**
 * Just-in-time credentials checked out for privileged steps: one row per grant, naming the
 * provider's lease but never holding the secret, kept after release as the record of the grant.
 */
export const privilegeLeases = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('privilege_leases')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
      .addColumn('step_id', 'text', (c) => c.notNull())
      .addColumn('step_name', 'text', (c) => c.notNull())
      .addColumn('ticket_number', 'text', (c) => c.notNull())
      .addColumn('credential', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('lease_id', 'text', (c) => c.notNull())
      .addColumn('approved_by', 'text', (c) => c.notNull())
      .addColumn('granted_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('released_at', 'bigint')
      .addColumn('release_error', 'text')
      .execute();
    await db.schema
      .createIndex('privilege_leases_by_step')
      .on('privilege_leases')
      .columns(['step_id', 'released_at'])
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('privilege_leases').execute();
  },
});
