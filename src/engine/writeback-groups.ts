import type { OutboxEntry } from '../store/outbox.repository';

/** Journal fields: each write appends an entry, so several write-backs' notes are joined, never overwritten. */
const JOURNAL_FIELDS = new Set(['work_notes', 'comments']);

/** Write-backs to one record that are due together: one PATCH carries them all. */
export interface TicketGroup {
  table: string;
  sysId: string;
  /** In the order they were queued. */
  entries: OutboxEntry[];
}

/** Entries grouped by the record they write to, each group in enqueue order, groups in the order their first entry came. */
export function groupByTicket(entries: readonly OutboxEntry[]): TicketGroup[] {
  const groups = new Map<string, TicketGroup>();
  for (const entry of [...entries].sort(inEnqueueOrder)) {
    const key = ticketKey(entry);
    const group = groups.get(key) ?? { table: entry.table_name, sysId: entry.sys_id, entries: [] };
    group.entries.push(entry);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * The fields of one PATCH for several write-backs: later entries win for ordinary fields, journal
 * fields are joined with a blank line, so every note (and its marker) lands in one journal entry.
 */
export function mergedFields(entries: readonly OutboxEntry[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const entry of entries) {
    for (const [name, value] of Object.entries(JSON.parse(entry.fields) as Record<string, string>)) {
      const earlier = merged[name];
      merged[name] = JOURNAL_FIELDS.has(name) && earlier ? `${earlier}\n\n${value}` : value;
    }
  }
  return merged;
}

/**
 * The entries that can share one PATCH, and those that must wait for a later one: an entry that
 * sets an ordinary field already set by an earlier one to another value (a state moved twice)
 * starts a new PATCH, so the ticket goes through both values in order.
 */
export function mergeablePrefix(entries: readonly OutboxEntry[]): [OutboxEntry[], OutboxEntry[]] {
  const set = new Map<string, string>();
  for (const [i, entry] of entries.entries()) {
    const fields = Object.entries(JSON.parse(entry.fields) as Record<string, string>).filter(
      ([name]) => !JOURNAL_FIELDS.has(name),
    );
    if (i > 0 && fields.some(([name, value]) => set.has(name) && set.get(name) !== value))
      return [entries.slice(0, i), entries.slice(i)];
    for (const [name, value] of fields) set.set(name, value);
  }
  return [[...entries], []];
}

/** Whether an entry writes a work note, so that a delivery that may have happened can be found in the journal by its marker. */
export function writesWorkNote(entry: OutboxEntry): boolean {
  return 'work_notes' in (JSON.parse(entry.fields) as Record<string, string>);
}

/** Queued first, first (`seq`; the time for entries queued before it existed); ids keep ties stable. */
function inEnqueueOrder(a: OutboxEntry, b: OutboxEntry): number {
  const bySeq = a.seq !== null && b.seq !== null ? Number(a.seq) - Number(b.seq) : 0;
  return bySeq || a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Claimed entries cut into deliveries of about `size` entries, a ticket's entries never split
 * (they make one PATCH); a ticket with more than `size` goes alone.
 */
export function deliveriesOf(entries: readonly OutboxEntry[], size: number): OutboxEntry[][] {
  const parts: OutboxEntry[][] = [];
  let current: OutboxEntry[] = [];
  for (const group of groupByTicket(entries)) {
    if (current.length > 0 && current.length + group.entries.length > size) {
      parts.push(current);
      current = [];
    }
    current.push(...group.entries);
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/** The record an entry writes to, as deliveries of one ticket are kept in order. */
export function ticketKey(entry: OutboxEntry): string {
  return `${entry.table_name}:${entry.sys_id}`;
}
