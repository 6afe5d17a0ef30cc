import type { Kysely, Migration } from 'kysely';

/**
 * Two per-ticket lookups made for every event, each of which the planner served from a state index
 * (a scan of every pending event, or of every running run) once thousands wait:
 * - claiming inbox events asks whether an older version of the same record is still pending;
 * - dispatching wakes gated steps of the ticket's running runs.
 * Indexes that lead with the record (ticket) make both a few index reads.
 */
export const ticketLookupIndexes = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createIndex('inbox_events_pending_by_record')
      .on('inbox_events')
      .columns(['sys_id', 'table_name', 'status', 'mod_count'])
      .execute();
    await db.schema.createIndex('runs_by_ticket_state').on('runs').columns(['ticket_number', 'state']).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('runs_by_ticket_state').execute();
    await db.schema.dropIndex('inbox_events_pending_by_record').execute();
  },
});
