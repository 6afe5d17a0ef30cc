import { z } from 'zod';
import type { ActionHandler, ActionSpec } from '../../connector';
import type { ServiceNowClient } from '../client';
import { parseParams } from '../errors';
import {
  addWorkNoteResultSchema,
  asInt,
  sysIdSchema,
  tableNameSchema,
  type AddWorkNoteResult,
  type JournalEntry,
} from '../schemas';

export const addWorkNoteParamsSchema = z
  .object({
    table: tableNameSchema,
    sys_id: sysIdSchema,
    text: z.string().min(1).max(32000),
    marker: z
      .string()
      .min(8)
      .max(200)
      .regex(/^[^\r\n]+$/, 'must be one line')
      .optional()
      .describe(
        'unique text put into the note (appended when the text lacks it) so a re-send can first find it in the journal',
      ),
    element: z
      .enum(['work_notes', 'comments'])
      .default('work_notes')
      .describe('work_notes = internal; comments = visible to the caller'),
  })
  .strict();
export type AddWorkNoteParams = z.infer<typeof addWorkNoteParamsSchema>;

/**
 * `servicenow.add_work_note`: appends a journal entry. Appending is not idempotent, so a PATCH
 * that broke after being sent is reported as ambiguous, and `recover` looks in the journal
 * (`sys_journal_field`, newest first) for the note before the engine sends it again.
 */
export const addWorkNoteAction: ActionSpec<AddWorkNoteParams, AddWorkNoteResult> = {
  name: 'add_work_note',
  risk: 'low',
  description:
    'Add a work note (or customer-visible comment) to a ServiceNow record, without duplicates after a failure',
  params: addWorkNoteParamsSchema,
  result: addWorkNoteResultSchema,
};

/** How many recent journal entries `recover` reads. */
const RECOVER_SCAN = 50;
const REF_PREFIX = 'journal:';

/** The note exactly as sent: the text, with the marker appended on its own line when missing. */
export function noteBody(params: Pick<AddWorkNoteParams, 'text' | 'marker'>): string {
  if (!params.marker || params.text.includes(params.marker)) return params.text;
  return `${params.text}\n\n${params.marker}`;
}

const normalize = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * Whether a journal entry is the note of these params: by marker when there is one; otherwise by
 * the whole text (whitespace-normalised), which can also match an identical older note.
 */
export function entryMatches(
  entry: Pick<JournalEntry, 'value'>,
  params: Pick<AddWorkNoteParams, 'text' | 'marker'>,
): boolean {
  if (params.marker) return entry.value.includes(params.marker);
  return normalize(entry.value) === normalize(params.text);
}

export function createAddWorkNoteHandler(deps: {
  client: Pick<ServiceNowClient, 'update' | 'journalEntries' | 'getRecord'>;
}): ActionHandler<AddWorkNoteParams, AddWorkNoteResult> {
  const parse = (input: unknown) => parseParams(addWorkNoteParamsSchema, input, addWorkNoteAction.name);
  const element = (params: AddWorkNoteParams) => params.element ?? 'work_notes';
  return {
    async start(input, ctx) {
      const params = parse(input);
      const record = await deps.client.update(
        params.table,
        params.sys_id,
        { [element(params)]: noteBody(params) },
        {
          fields: ['sys_id', 'sys_mod_count'],
          signal: ctx.signal,
        },
      );
      return { status: 'done', result: { sys_mod_count: asInt(record.sys_mod_count), recovered: false } };
    },

    async recover(input, ctx) {
      const params = parse(input);
      const entries = await deps.client.journalEntries(params.sys_id, element(params), {
        table: params.table,
        limit: RECOVER_SCAN,
        signal: ctx.signal,
      });
      const found = entries.find((e) => entryMatches(e, params));
      if (!found) return undefined;
      ctx.logger.info('servicenow: work note already in the journal, not sending it again', {
        table: params.table,
        journalEntry: found.sysId,
      });
      return `${REF_PREFIX}${found.sysId}`;
    },

    async check(ref, input, ctx) {
      const params = parse(input);
      const record = await deps.client.getRecord(params.table, params.sys_id, {
        fields: ['sys_id', 'sys_mod_count'],
        signal: ctx.signal,
      });
      const entry = ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
      return {
        status: 'done',
        result: { sys_mod_count: asInt(record.sys_mod_count), journal_entry: entry || undefined, recovered: true },
      };
    },
  };
}
