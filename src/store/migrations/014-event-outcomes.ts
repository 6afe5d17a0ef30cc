import type { Kysely, Migration } from 'kysely';

/**
 * Events that end in a state that explains itself:
 * - an event whose dispatch failed for a reason that may pass (ServiceNow unreachable) is retried
 *   with backoff: `attempts` so far, not before `next_at`, failing since `failing_since` (its
 *   retries are bounded by time from then);
 * - one that can never succeed ends `rejected` (its reason in `note`), and one older than a version
 *   already dispatched ends `superseded`. Operators list them by state, newest first.
 * - an event tried again looks up the runs it already has (by event key) so none starts twice;
 * - a run whose steps succeeded is `succeeded` only once its write-backs are delivered: they are
 *   found by run.
 */
export const eventOutcomes = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('inbox_events')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('inbox_events').addColumn('next_at', 'bigint').execute();
    await db.schema.alterTable('inbox_events').addColumn('failing_since', 'bigint').execute();
    await db.schema
      .createIndex('inbox_events_by_status_time')
      .on('inbox_events')
      .columns(['status', 'received_at'])
      .execute();
    await db.schema.createIndex('runs_by_event').on('runs').column('event_key').execute();
    await db.schema.createIndex('outbox_by_run').on('outbox').column('run_id').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('outbox_by_run').execute();
    await db.schema.dropIndex('runs_by_event').execute();
    await db.schema.dropIndex('inbox_events_by_status_time').execute();
    await db.schema.alterTable('inbox_events').dropColumn('failing_since').execute();
    await db.schema.alterTable('inbox_events').dropColumn('next_at').execute();
    await db.schema.alterTable('inbox_events').dropColumn('attempts').execute();
  },
});
