import type { TicketEvent } from './event.schema';
import { outboxFields } from '../store/outbox-columns';
import type { OutboxRepository } from '../store/outbox.repository';

/** How far back a sent write-back still explains an update event (the Business Rule runs async). */
const OWN_WRITE_WINDOW_MS = 10 * 60 * 1000;

/**
 * An update is Snowline's own when its version is the one our PATCH produced, or when it was made
 * by the integration user and touched only fields one of our in-flight or recent write-backs
 * carried (or while one of ours is in flight). Such events never reach the rules, so a write-back cannot start a storm of runs.
 */
export async function isOwnWrite(
  outbox: OutboxRepository,
  event: TicketEvent,
  integrationUser: string,
  now: number,
): Promise<boolean> {
  const writes = await outbox.recentForRecord(event.sys_id, now - OWN_WRITE_WINDOW_MS);
  if (writes.some((w) => w.result_mod_count === event.sys_mod_count)) return true;
  if (event.sys_updated_by !== integrationUser) return false;
  // Our PATCH is on its way and the instance already reported an update by us: that is the PATCH.
  if (writes.some((w) => w.state === 'sending')) return true;
  if (event.changed_fields.length === 0) return false;
  const written = new Set<string>(['sys_updated_on', 'sys_updated_by', 'sys_mod_count']);
  for (const w of writes) for (const field of Object.keys(outboxFields(w))) written.add(field);
  return event.changed_fields.every((f) => written.has(f));
}
