import { randomUUID } from 'node:crypto';
import type { Metrics } from '../observability/metrics';
import type { AppendResult, InboxRepository, NewInboxEvent } from '../store/inbox.repository';
import { eventKey, type EventSource, type TicketEvent } from '../engine/event.schema';

interface Waiting {
  event: NewInboxEvent;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * The one door into the inbox, whatever delivered the event (webhook, poller, API). It returns
 * only after the event is committed, and says whether this version of the record was already in.
 *
 * Events that arrive in the same turn of the event loop are committed together (group commit):
 * under load one transaction carries many events, so the commit cost is shared and every caller
 * still hears back only after its own event is durable.
 */
export function createIntake(deps: {
  inbox: InboxRepository;
  metrics: Metrics;
  onAccepted: () => void;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  let queue: Waiting[] = [];

  async function flush(): Promise<void> {
    const batch = queue;
    queue = [];
    try {
      const results = await deps.inbox.appendAll(batch.map((w) => w.event));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch {
      // One bad event must not fail its neighbours: fall back to one transaction each.
      for (const w of batch) await deps.inbox.append(w.event).then(w.resolve, w.reject);
    }
  }

  function commit(event: NewInboxEvent): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      queue.push({ event, resolve, reject });
      if (queue.length === 1) setImmediate(() => void flush());
    });
  }

  return {
    async accept(
      event: TicketEvent,
      source: EventSource,
      correlationId: string = randomUUID(),
    ): Promise<{ duplicate: boolean; key: string }> {
      const key = eventKey(event);
      const { duplicate } = await commit({
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
