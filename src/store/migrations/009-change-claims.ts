import type { Kysely, Migration } from 'kysely';

/**
 * One row per configuration item while a change run implements on it: the primary key makes the
 * claim atomic, so two changes checked at the same instant (two workers, or two instances on one
 * PostgreSQL) cannot both start on the same CI.
 */
export const changeClaims = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('change_claims')
      .addColumn('cmdb_ci', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('ticket_number', 'text', (c) => c.notNull())
      .addColumn('claimed_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('change_claims').execute();
  },
});
