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

const FIELD_NAME = /^[a-z_][a-z0-9_.]{0,79}$/;
const MAX_VALUE_CHARS = 65_536;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((field) => typeof field === 'string');
}

/** What is wrong with one field of a delivered record, if anything. */
function fieldProblem(name: string, value: unknown): string | undefined {
  if (!FIELD_NAME.test(name)) return 'field names are ServiceNow column names';
  if (typeof value !== 'string') return `expected string, received ${value === null ? 'null' : typeof value}`;
  if (value.length > MAX_VALUE_CHARS) return `Too big: expected string to have <=${MAX_VALUE_CHARS} characters`;
  return undefined;
}

/**
 * A record as the Table API shows it with raw values: field name → string. Reference fields carry
 * the referenced sys_id. Values are capped so one hostile field cannot bloat the inbox. Checked
 * field by field in one pass, each problem naming its field: z.record runs two schemas per field,
 * ten times the cost on every delivery (a ticket has 60 fields and more). `meta` gives the API
 * docs the shape z.record would have shown.
 */
export const recordSchema = z
  .custom<Record<string, string>>(isObject, 'expected an object of field name → string')
  .superRefine((record, ctx) => {
    for (const [name, value] of Object.entries(record)) {
      const problem = fieldProblem(name, value);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
  })
  .meta({
    type: 'object',
    propertyNames: { pattern: FIELD_NAME.source },
    additionalProperties: { type: 'string', maxLength: MAX_VALUE_CHARS },
  });
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
  record: z.custom<Record<string, string>>(isStringRecord, 'expected an object of field name → string'),
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
