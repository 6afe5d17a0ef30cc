import { z } from 'zod';
import { parseJsonColumn } from '../store/json-column';
import type { InboxEventRow } from '../store/schema';

/** The ServiceNow tables whose events Snowline processes. */
export const WATCHED_TABLES = ['incident', 'change_request', 'problem'] as const;
export const watchedTableSchema = z.enum(WATCHED_TABLES);
export type WatchedTable = z.infer<typeof watchedTableSchema>;

const sysIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters');
/** The store keeps it in a 32-bit integer column (both engines); anything larger is not a real count. */
export const MAX_MOD_COUNT = 2_147_483_647;
/** ServiceNow sends every scalar as a string; sys_mod_count is a non-negative integer in a string. */
const modCountSchema = z
  .union([
    z.string().regex(/^\d{1,10}$/, 'must be a whole number of at most 10 digits'),
    z.number().int().nonnegative(),
  ])
  .transform(Number)
  .refine((n) => n <= MAX_MOD_COUNT, `must be at most ${MAX_MOD_COUNT}`);
const glideDateTimeSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'must be "yyyy-MM-dd HH:mm:ss" (UTC)');

/**
 * A record as the Table API shows it with raw values: field name → string. Reference fields carry
 * the referenced sys_id. Values are capped so one hostile field cannot bloat the inbox.
 */
export const recordSchema = z.record(
  z.string().regex(/^[a-z_][a-z0-9_.]{0,79}$/, 'field names are ServiceNow column names'),
  z.string().max(65536),
);
export type TicketRecord = z.infer<typeof recordSchema>;

/**
 * The body the shipped Business Rule posts to `POST /webhooks/servicenow` (see
 * connectors/servicenow/instance/). Mirrors Table API conventions: string values, UTC date-times.
 */
export const ticketEventSchema = z
  .object({
    event: z.enum(['inserted', 'updated']).describe('what happened to the record'),
    table: watchedTableSchema,
    sys_id: sysIdSchema,
    number: z.string().min(1).max(40),
    sys_mod_count: modCountSchema,
    sys_updated_on: glideDateTimeSchema,
    sys_updated_by: z.string().max(100).default(''),
    changed_fields: z.array(z.string().max(80)).max(500).default([]),
    record: recordSchema,
  })
  .strict();
export type TicketEvent = z.infer<typeof ticketEventSchema>;
/** What a producer sends (before zod's transforms and defaults). */
export type TicketEventInput = z.input<typeof ticketEventSchema>;

/** Where an event came from; the inbox keeps one copy per record version whatever the source. */
export type EventSource = 'webhook' | 'poll' | 'manual' | 'work_note' | 'schedule';

/**
 * A record that a rule's scheduled query found on one tick (`tick`: the scheduled time, ISO 8601).
 * It is an event for that rule alone, kept once per rule, tick and record whatever instance or
 * attempt offered it: the inbox key is `scheduledEventKey`.
 */
export interface ScheduledMatch {
  rule: string;
  tick: string;
}

export function scheduledEventKey(match: ScheduledMatch, sysId: string): string {
  return `scheduled:${match.rule}:${match.tick}:${sysId}`;
}

/**
 * `inbox_events.payload`: the event as it was accepted (already through ticketEventSchema, whose
 * limits are the webhook's to enforce, not the store's), and for a scheduled rule's find, its match.
 */
const storedEventSchema = z.object({
  event: z.enum(['inserted', 'updated']),
  table: watchedTableSchema,
  sys_id: z.string(),
  number: z.string(),
  sys_mod_count: z.number(),
  sys_updated_on: z.string(),
  sys_updated_by: z.string(),
  changed_fields: z.array(z.string()),
  record: z.record(z.string(), z.string()),
  scheduled: z.object({ rule: z.string(), tick: z.string() }).optional(),
});

/** An inbox event's payload, checked (a CorruptRowError naming the event when it is not an event). */
export function eventPayloadOf(event: {
  seq: number;
  payload: InboxEventRow['payload'];
}): TicketEvent & { scheduled?: ScheduledMatch } {
  return parseJsonColumn(storedEventSchema, { table: 'inbox_events', column: 'payload', id: event.seq }, event.payload);
}

/** The inbox de-duplication key: one event per version of one record. */
export function eventKey(e: Pick<TicketEvent, 'table' | 'sys_id' | 'sys_mod_count'>): string {
  return `${e.table}:${e.sys_id}:${e.sys_mod_count}`;
}
