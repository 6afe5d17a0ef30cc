import { createHash } from 'node:crypto';

/**
 * One story, one trace: an event's correlation id (a UUID) is its trace id, so the trace of a ticket
 * is found from any log line, and the spans of one event written by different loops and instances
 * (ingest, dispatch, steps, write-back) meet in one trace without storing anything more. Span ids of
 * the spans others hang from (the event's root, a run) are derived the same way.
 */
export function traceIdOf(correlationId: string): string {
  const hex = correlationId.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex) ? hex : digest(`trace:${correlationId}`, 32);
}

/** The span id of the event's root span (ingest). */
export function rootSpanIdOf(correlationId: string): string {
  return digest(`ingest:${correlationId}`, 16);
}

/** The span id of a run's span, parent of its steps and write-backs. */
export function runSpanIdOf(runId: string): string {
  return digest(`run:${runId}`, 16);
}

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
