import { z } from 'zod';
import { parseJsonColumn, textFieldsSchema } from './json-column';
import type { OutboxRow } from './schema';

/**
 * A step's output as a file for the ticket: what the outbox uploads through the Attachment API
 * (`writeback.*.attach_output` in a rule, and the job logs change management attaches to a change).
 */
export const outboxAttachmentSchema = z.object({
  file_name: z.string().min(1).max(255),
  content_type: z.string().min(1),
  content: z.string(),
});
export type OutboxAttachment = z.infer<typeof outboxAttachmentSchema>;

/** A write-back's field updates and work note (`outbox.fields`), sent as one PATCH. */
export function outboxFields(entry: Pick<OutboxRow, 'id' | 'fields'>): Record<string, string> {
  return parseJsonColumn(textFieldsSchema, { table: 'outbox', column: 'fields', id: entry.id }, entry.fields);
}

/** The file a write-back uploads (`outbox.attachment`); undefined for a field write-back. */
export function outboxAttachmentOf(entry: Pick<OutboxRow, 'id' | 'attachment'>): OutboxAttachment | undefined {
  if (entry.attachment === null) return undefined;
  return parseJsonColumn(
    outboxAttachmentSchema,
    { table: 'outbox', column: 'attachment', id: entry.id },
    entry.attachment,
  );
}
