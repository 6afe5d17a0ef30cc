import { randomUUID } from 'node:crypto';
import type { NewWriteback } from '../store/outbox.repository';
import { stepResult, type Run, type Step } from '../store/run.repository';
import type { OutboxAttachment } from '../store/outbox-columns';

// The stored shape lives with the outbox; the sender and the engine read it from here too.
export { outboxAttachmentSchema, type OutboxAttachment } from '../store/outbox-columns';

/** Largest attachment when the instance settings give none (ServiceNow connector default). */
export const DEFAULT_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024;

/**
 * What a step produced, as text: a job's output (`stdout_tail` of the controller and local runner
 * results, kept up to the connector's stdoutTailBytes), else its result as JSON, else for a failed
 * step its error. undefined when the step left nothing (skipped, never ran).
 */
export function stepOutput(step: Pick<Step, 'id' | 'state' | 'result' | 'error'>): string | undefined {
  if (step.result !== null) {
    const result = stepResult(step);
    if (result && typeof result === 'object' && !Array.isArray(result)) {
      const { stdout_tail: tail, stdout } = result as Record<string, unknown>;
      if (typeof tail === 'string' && tail !== '') return tail;
      if (typeof stdout === 'string' && stdout !== '') return stdout;
    }
    return `${JSON.stringify(result, null, 2)}\n`;
  }
  return step.state === 'failed' && step.error ? step.error : undefined;
}

/**
 * A file name the Attachment API takes and no reader can mistake for a path: letters, digits,
 * dot, dash and underscore only, not starting with a dot; anything else becomes `_`.
 */
export function safeFileName(name: string, fallback = 'job-output.txt'): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 200);
  return cleaned === '' ? fallback : cleaned;
}

/**
 * Keeps the text under `maxBytes` (UTF-8). A job log's end says how it finished, so the start is
 * dropped, and a first line says how much.
 */
export function tailWithin(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength <= maxBytes) return text;
  const header = (cut: number) => `[first ${cut} bytes of the output not attached: larger than ${maxBytes} bytes]\n`;
  const keep = Math.max(0, maxBytes - Buffer.byteLength(header(bytes.byteLength)));
  // Decoding from the middle of a multi-byte character yields U+FFFD (3 bytes): drop such a start.
  const tail = bytes
    .subarray(bytes.byteLength - keep)
    .toString('utf8')
    .replace(/^\uFFFD+/, '');
  return `${header(bytes.byteLength - Buffer.byteLength(tail))}${tail}`;
}

/** The outbox attachment for a step's output, or undefined when the step has none. */
export function outputAttachment(
  step: Pick<Step, 'id' | 'state' | 'result' | 'error'>,
  fileName: string,
  maxBytes: number,
): OutboxAttachment | undefined {
  const output = stepOutput(step);
  if (output === undefined) return undefined;
  return { file_name: safeFileName(fileName), content_type: 'text/plain', content: tailWithin(output, maxBytes) };
}

/** The write-back that uploads `file` to a record (its marker is never searched: attachments are found by name and size). */
export function attachmentEntry(
  run: Pick<Run, 'id' | 'ticket_number'>,
  table: string,
  sysId: string,
  file: OutboxAttachment,
  at: number,
): NewWriteback {
  const id = randomUUID();
  return {
    id,
    run_id: run.id,
    table_name: table,
    sys_id: sysId,
    ticket_number: run.ticket_number,
    fields: '{}',
    marker: `snowline-attachment:${id}`,
    attachment: JSON.stringify(file),
    next_at: at,
  };
}
