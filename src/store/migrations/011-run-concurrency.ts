import type { Kysely, Migration } from 'kysely';

/**
 * Concurrency and ordering across instances:
 * - a run's concurrency key (rendered from its rule's `concurrency.key`): at most one running run per
 *   key; runs held back by a key or a limit wait in state `queued`, found by state;
 * - inbox events are claimed with a lease like steps, so two instances never dispatch one ticket's
 *   events at once, and take them in sys_mod_count order.
 */
export const runConcurrency = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.alterTable('runs').addColumn('concurrency_key', 'text').execute();
    await db.schema.createIndex('runs_by_state').on('runs').columns(['state', 'created_at']).execute();
    await db.schema.createIndex('runs_by_concurrency_key').on('runs').columns(['concurrency_key', 'state']).execute();
    await db.schema.alterTable('inbox_events').addColumn('lease_owner', 'text').execute();
    await db.schema.alterTable('inbox_events').addColumn('lease_until', 'bigint').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('inbox_events').dropColumn('lease_until').execute();
    await db.schema.alterTable('inbox_events').dropColumn('lease_owner').execute();
    await db.schema.dropIndex('runs_by_concurrency_key').execute();
    await db.schema.dropIndex('runs_by_state').execute();
    await db.schema.alterTable('runs').dropColumn('concurrency_key').execute();
  },
});
