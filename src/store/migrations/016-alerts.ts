import type { Kysely, Migration } from 'kysely';

/**
 * Alerts Snowline raises in ServiceNow (src/slo/): one row per alert key, so a condition that lasts
 * keeps one record open however often it is evaluated, on whichever instance leads. An outbox entry
 * may now insert a record (`operation` = insert) as well as PATCH one. (The SLOs' windows read
 * runs by `finished_at`, through the index 015-retention made.)
 */
export const alerts = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('alerts')
      .addColumn('alert_key', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('table_name', 'text', (c) => c.notNull())
      .addColumn('sys_id', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('opened_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('resolved_at', 'bigint')
      .addColumn('updates', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('alerts_by_record').on('alerts').column('sys_id').execute();
    await db.schema.alterTable('outbox').addColumn('operation', 'text').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('outbox').dropColumn('operation').execute();
    await db.schema.dropTable('alerts').execute();
  },
});
