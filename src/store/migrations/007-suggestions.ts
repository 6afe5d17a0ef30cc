import type { Kysely, Migration } from 'kysely';

/**
 * Which suggest-mode rule has offered itself on which ticket: the offer is posted once per rule
 * and ticket, not again on every later update that still matches.
 */
export const suggestions = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('suggestions')
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('table_name', 'text', (c) => c.notNull())
      .addColumn('sys_id', 'text', (c) => c.notNull())
      .addColumn('ticket_number', 'text', (c) => c.notNull())
      .addColumn('rule_version', 'text', (c) => c.notNull())
      .addColumn('event_key', 'text', (c) => c.notNull())
      .addColumn('suggested_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('suggestions_pk', ['rule_id', 'table_name', 'sys_id'])
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('suggestions').execute();
  },
});
