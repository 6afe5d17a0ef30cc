import type { Kysely, Migration } from 'kysely';

/**
 * `inbox_events_by_record` (sys_id, kind, seq) served a check that no longer exists: every query by
 * record now asks by sys_id and table, which `inbox_events_pending_by_record` answers. Each index
 * keyed by a random sys_id costs the webhook's insert a page written at a random place (about a
 * fifth of the insert's time), so the unused one goes.
 */
export const inboxRecordIndexDropped = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.dropIndex('inbox_events_by_record').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema
      .createIndex('inbox_events_by_record')
      .on('inbox_events')
      .columns(['sys_id', 'kind', 'seq'])
      .execute();
  },
});
