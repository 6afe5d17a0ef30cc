import type { Kysely, Migration } from 'kysely';

/**
 * Indexes for the questions asked of a time range, each of which read the whole table before:
 * - the leader's alert evaluation counts the events each source delivered lately (webhook silence),
 *   once a minute: on SQLite that scan held the event loop (52 ms at 30,000 events) while webhooks
 *   waited for their answer;
 * - the run list and the console's overview ask for the runs created in a range, newest first.
 * Both keys grow with time, so a new row's entry lands on the index's last page: nearly free.
 */
export const timeRangeIndexes = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createIndex('inbox_events_by_source_time')
      .on('inbox_events')
      .columns(['source', 'received_at'])
      .execute();
    await db.schema.createIndex('runs_by_created').on('runs').column('created_at').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('runs_by_created').execute();
    await db.schema.dropIndex('inbox_events_by_source_time').execute();
  },
});
