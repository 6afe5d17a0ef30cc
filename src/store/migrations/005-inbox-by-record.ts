import type { Kysely, Migration } from 'kysely';

/**
 * The dispatcher asks, for every event, whether its record's insert was seen before: without an
 * index by record that is a scan of the whole inbox per event (quadratic under load).
 */
export const inboxByRecord = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createIndex('inbox_events_by_record')
      .on('inbox_events')
      .columns(['sys_id', 'kind', 'seq'])
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('inbox_events_by_record').execute();
  },
});
