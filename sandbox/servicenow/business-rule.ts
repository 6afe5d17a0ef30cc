import { setMaxListeners } from 'node:events';
import axios from 'axios';
import { setImmediate as afterResponse } from 'node:timers/promises';
import type { Logger } from 'winston';
import { fieldsOf } from '../../connectors/servicenow/dictionary';
import { watchedTableSchema, type TicketEventInput } from '../../src/engine/event.schema';
import { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/security/webhook-signature';
import type { RecordWrite } from './table-service';

/** RESTMessageV2 waits this long for the receiver before giving up. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** Where and how the emulated Business Rule posts. */
export interface BusinessRuleOptions {
  /** Receiver of the events; nothing is posted without one. */
  webhookUrl?: string;
  webhookSecret: string;
  enabled: boolean;
  logger: Logger;
}

/**
 * The async Business Rule that an admin installs from connectors/servicenow/instance/, emulated:
 * after each insert or update of incident, change_request or problem, by any API call, it posts the
 * signed event to the webhook URL. Like the real rule it runs after the user's transaction and never
 * retries (RESTMessageV2 has no retry, docs/servicenow-behaviour.md §6.1): a failed delivery is logged and dropped, and the
 * middleware's poller finds the change instead. Deliveries for one record go out one at a time, in
 * the order of its writes.
 */
export class WebhookBusinessRule {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly options: BusinessRuleOptions) {
    // Every delivery in flight listens on the one signal (one per record at a time, unbounded):
    // more than ten at once is the rule at work under a burst, not a leak to warn of.
    setMaxListeners(0, this.abort.signal);
  }

  /** The after-write hook: queues the event of `write` if its table is watched. */
  onWrite(write: RecordWrite): void {
    const { webhookUrl, enabled } = this.options;
    const table = watchedTableSchema.safeParse(write.table);
    if (!enabled || !webhookUrl || !table.success || this.abort.signal.aborted) return;
    const body = JSON.stringify(ticketEvent(write, table.data));
    const key = `${write.table}:${write.record.sys_id}`;
    const delivery = (this.queues.get(key) ?? afterResponse()).then(() => this.deliver(webhookUrl, body, key));
    this.queues.set(key, delivery);
    void delivery.finally(() => {
      if (this.queues.get(key) === delivery) this.queues.delete(key);
    });
  }

  /** Drops queued deliveries and aborts those in flight (the sandbox is closing). */
  stop(): void {
    this.abort.abort();
  }

  private async deliver(url: string, body: string, key: string): Promise<void> {
    if (this.abort.signal.aborted) return;
    const { timestamp, signature } = signWebhook(this.options.webhookSecret, body);
    try {
      const response = await axios.post(url, body, {
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'ServiceNow/1.0',
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signature,
        },
        timeout: DELIVERY_TIMEOUT_MS,
        signal: this.abort.signal,
        validateStatus: () => true,
        // The body must go out byte for byte as signed.
        transformRequest: [(data: string) => data],
      });
      if (response.status >= 300)
        this.options.logger.warn('sandbox business rule: webhook refused, event dropped', {
          record: key,
          status: response.status,
        });
    } catch (err) {
      if (!this.abort.signal.aborted)
        this.options.logger.warn('sandbox business rule: webhook failed, event dropped', {
          record: key,
          error: (err as Error).message,
        });
    }
  }
}

/** The body the shipped Business Rule posts: Table API conventions, raw string values (docs/servicenow-behaviour.md §6.1). */
function ticketEvent(write: RecordWrite, table: TicketEventInput['table']): TicketEventInput {
  const { record } = write;
  const values = fieldsOf(write.table)
    .filter((field) => field.type !== 'journal')
    .map((field) => [field.name, record[field.name] ?? ''] as const);
  return {
    event: write.kind,
    table,
    sys_id: record.sys_id ?? '',
    number: record.number ?? '',
    sys_mod_count: record.sys_mod_count ?? '0',
    sys_updated_on: record.sys_updated_on ?? '',
    sys_updated_by: record.sys_updated_by ?? '',
    changed_fields: write.changedFields,
    record: Object.fromEntries(values),
  };
}
