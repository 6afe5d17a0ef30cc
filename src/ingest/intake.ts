import { randomUUID } from 'node:crypto';
import type { Metrics } from '../observability/metrics';
import type { InboxRepository } from '../store/inbox.repository';
import { eventKey, type EventSource, type TicketEvent } from './event.schema';

/**
 * The one door into the inbox, whatever delivered the event (webhook, poller, API). It returns
 * only after the event is committed, and says whether this version of the record was already in.
 */
export function createIntake(deps: { inbox: InboxRepository; metrics: Metrics; onAccepted: () => void; now?: () => number }) {
  const now = deps.now ?? Date.now;
  return {
    async accept(event: TicketEvent, source: EventSource, correlationId: string = randomUUID()): Promise<{ duplicate: boolean; key: string }> {
      const key = eventKey(event);
      const { duplicate } = await deps.inbox.append({
        event_key: key,
        table_name: event.table,
        sys_id: event.sys_id,
        number: event.number,
        mod_count: event.sys_mod_count,
        kind: event.event,
        source,
        payload: JSON.stringify(event),
        correlation_id: correlationId,
        received_at: now(),
      });
      deps.metrics.eventsReceived.inc({ source, result: duplicate ? 'duplicate' : 'accepted' });
      if (!duplicate) deps.onAccepted();
      return { duplicate, key };
    },
  };
}
export type Intake = ReturnType<typeof createIntake>;
