import { SnowlineError } from '../errors';
import type { Repositories } from '../store';
import type { OutboxEntry } from '../store/outbox.repository';
import type { RunEventEmitter } from './run-event-emitter';
import { writebackRefOf, type RunEvent } from './run-events';
import { decideAfterFailure, type RetryPolicy } from './run-state-machine';
import type { WritebackTarget } from './writeback-target';

export interface SettlementDeps {
  repos: Repositories;
  target: WritebackTarget;
  events: RunEventEmitter;
  owner: string;
  policy: RetryPolicy;
  deadlineMs: number;
  now: () => number;
  random: () => number;
  onDue?: (at: number) => void;
}

/** How an attempt left an entry: one of the write-back events, without the entry and the time. */
export type Outcome = DistributiveOmit<Extract<RunEvent, { type: `writeback.${string}` }>, 'writeback' | 'at'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Whether a failure certainly sent nothing: the connector says so in its details. */
function neverSent(err: unknown): boolean {
  return err instanceof SnowlineError && err.details.notSent === true;
}

/**
 * How an attempt's outcome is recorded on its entries. Every function takes the entry as it was
 * claimed (its state and attempts before this attempt): that is what decides whether its journal
 * must be read before the next one.
 */
export function writebackSettlement(deps: SettlementDeps) {
  const { repos, target, events, owner, now } = deps;

  /**
   * Settles one entry, or several that shared one call (the same outcome for each), hands back
   * their leases, and tells each one's outcome as an event.
   */
  async function finish(entries: readonly OutboxEntry[], patch: Partial<OutboxEntry>, outcome: Outcome): Promise<void> {
    const ids = entries.map((e) => e.id);
    const released = { ...patch, lease_owner: null, lease_until: null };
    if (ids.length === 1) await repos.outbox.save(ids[0]!, owner, released);
    else await repos.outbox.saveMany(ids, owner, released);
    if (patch.next_at != null) deps.onDue?.(patch.next_at);
    const at = now();
    for (const entry of entries) await events.emit({ ...outcome, writeback: writebackRefOf(entry), at });
  }

  /**
   * As steps are: retried with backoff and jitter until the deadline (counted from when the entry
   * was queued) would pass, so an outage of ServiceNow is outlasted however many attempts it costs.
   */
  async function failed(entry: OutboxEntry, err: unknown): Promise<void> {
    const failure = target.classify(err);
    const message = err instanceof Error ? err.message : String(err);
    // A request that never left (its limiter failed) was no attempt at delivering: it uses none up.
    const attempts = failure === 'transient' && neverSent(err) ? entry.attempts : entry.attempts + 1;
    const retryAfterMs = err instanceof SnowlineError ? err.retryAfterMs : undefined;
    const decision = decideAfterFailure(
      // An entry found `sending` may have reached the ticket: it stays so until its journal is read.
      { state: entry.state === 'sending' ? 'starting' : 'pending', attempt: attempts, hasExternalRef: false },
      failure,
      deps.policy,
      deps.random(),
      retryAfterMs,
      { now: now(), at: entry.created_at + deps.deadlineMs },
    );
    if (decision.state === 'failed') {
      const error = decision.gaveUp
        ? `gave up after ${attempts} attempt(s) over ${Math.round((now() - entry.created_at) / 1000)} s: ${message}`
        : message;
      await finish([entry], { state: 'failed', attempts, last_error: error }, { type: 'writeback.failed', error });
      return;
    }
    const { delayMs } = decision;
    // Only an ambiguous failure may have reached the ticket: keep `sending` so the journal is checked.
    await finish(
      [entry],
      {
        state: decision.state === 'starting' ? 'sending' : 'pending',
        attempts,
        last_error: message,
        next_at: now() + delayMs,
      },
      { type: 'writeback.retrying', reason: failure, error: message, delayMs },
    );
  }

  /** The instance never ran the call (a batch cut short): the entry is due again at once, as it was before the attempt. */
  async function unserviced(entry: OutboxEntry): Promise<void> {
    await finish(
      [entry],
      { state: entry.state, attempts: entry.attempts, next_at: now() },
      { type: 'writeback.retrying', reason: 'unserviced', delayMs: 0 },
    );
  }

  return { finish, failed, unserviced };
}
export type WritebackSettlement = ReturnType<typeof writebackSettlement>;
