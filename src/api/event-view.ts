import { z } from 'zod';
import { EVENT_STATES, type EventState, type InboxEvent } from '../store/inbox.repository';

/** An inbox event as the API and `snowline events list --json` show it. The schema is also the OpenAPI description. */
export const eventViewSchema = z.object({
  id: z.number().int().describe('the event id (replay takes it)'),
  key: z.string().describe('table:sys_id:sys_mod_count'),
  table: z.string(),
  sys_id: z.string(),
  ticket: z.string().describe('ticket number, e.g. INC0010001'),
  sys_mod_count: z.number().int(),
  kind: z.string().describe('inserted | updated, as it arrived'),
  source: z.string().describe('webhook | poll | manual | work_note'),
  state: z
    .enum(EVENT_STATES)
    .describe(
      "pending: waiting to be dispatched (attempts > 0: retrying, see reason); done: its rules acted; dropped: Snowline's own write-back; superseded: older than a version already dispatched; rejected: can never be acted on as it is (see reason) — an operator may replay it",
    ),
  reason: z.string().nullable().describe('why it is in its state (the error of a rejected or retrying event)'),
  attempts: z.number().int().describe('failed dispatch attempts so far'),
  received_at: z.string().describe('ISO 8601'),
  processed_at: z.string().nullable(),
  next_attempt_at: z.string().nullable().describe('for a retrying event: when it is tried again'),
});
export type EventView = z.infer<typeof eventViewSchema>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toEventView(event: InboxEvent): EventView {
  return {
    id: event.seq,
    key: event.event_key,
    table: event.table_name,
    sys_id: event.sys_id,
    ticket: event.number,
    sys_mod_count: event.mod_count,
    kind: event.kind,
    source: event.source,
    state: event.status as EventState,
    reason: event.note,
    attempts: event.attempts,
    received_at: iso(event.received_at)!,
    processed_at: iso(event.processed_at),
    next_attempt_at: event.status === 'pending' ? iso(event.next_at) : null,
  };
}
