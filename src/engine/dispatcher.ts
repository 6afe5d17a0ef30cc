import { randomUUID } from 'node:crypto';
import { withCorrelation } from '../observability/context';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { inSpan } from '../observability/tracing';
import type { RuleSet } from '../rules/rule-set';
import type { SecretBox } from '../security/secret-box';
import { SnowlineError } from '../errors';
import { type Repositories, type Store, inTransaction, type StoreTransaction } from '../store';
import type { InboxEvent, Settlement } from '../store/inbox.repository';
import { createDispatchFailures } from './dispatch-failures';
import type { AfterCommit, Rejections } from './dispatch-types';
import { createEventMatching, type Prepared } from './event-matching';
import { rejectionNote, type EventRetryPolicy } from './event-outcomes';
import { createManualTrigger } from './manual-trigger';
import { createRunEventEmitter } from './run-event-emitter';
import { createRuleActions } from './rule-actions';
import { createRunBuilder } from './run-builder';
import { processSecretBox } from './run-secrets';
import type { TicketLookups } from './ticket-lookups';

export interface DispatcherDeps {
  store: Store;
  repos: Repositories;
  rules: () => RuleSet;
  /** The ServiceNow user Snowline writes as: its updates must not trigger rules again. */
  integrationUser: string;
  /** Reads work notes, group memberships and referenced records; without it, commands and dot-walks the event lacks cannot fire. */
  lookups?: TicketLookups;
  logger: Logger;
  metrics: Metrics;
  /** engine.maxActiveRuns: with a global limit every run waits its turn in state `queued`. */
  maxActiveRuns?: number;
  /** Seals secret params in the stored run context; default: a key that lives as long as the process. */
  secretBox?: SecretBox;
  /** Retries of events whose dispatch failed for a reason that may pass; default 1 s to 1 min, for 1 h. */
  eventRetry?: EventRetryPolicy;
  now?: () => number;
  random?: () => number;
}

const DEFAULT_EVENT_RETRY: EventRetryPolicy = { baseDelayMs: 1000, maxDelayMs: 60_000, deadlineMs: 3_600_000 };

/**
 * Turns inbox events into runs. For each event, in arrival order: end it superseded if a newer
 * version of its record was dispatched already, drop it if it is Snowline's own write-back, match
 * the rules of the current version, and act per rule mode — in one transaction with marking the
 * event processed, so an event yields its runs exactly once:
 * - active: create a run pinned to the rule version;
 * - shadow: record in the audit journal what would have run; run nothing, write nothing back;
 * - suggest: queue a work note offering the automation and how to start it, once per ticket; the
 *   rule runs when an agent types its command (or an operator triggers it).
 */
export function createDispatcher(deps: DispatcherDeps) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { repos, store, logger, metrics } = deps;
  const secretBox = deps.secretBox ?? processSecretBox();
  const eventRetry = deps.eventRetry ?? DEFAULT_EVENT_RETRY;
  const matching = createEventMatching({ ...deps, now });
  const runs = createRunBuilder({ maxActiveRuns: deps.maxActiveRuns, secretBox, now });
  const events = createRunEventEmitter(deps);
  const { actOn, enqueueNote } = createRuleActions({ repos, logger, metrics, runs, events, now });
  const { failed, reportRejected } = createDispatchFailures({ repos, logger, metrics, eventRetry, now, random });
  const triggerManually = createManualTrigger({ ...deps, matching, actions: { actOn }, now });

  /** Dispatches one event (see `dispatchAll`). */
  async function dispatch(event: InboxEvent): Promise<void> {
    await dispatchAll([event]);
  }

  /**
   * Dispatches events in order: each is read and matched first, then all of them are recorded in
   * one transaction (one commit for the lot, the engine's main cost under load). Should any of it
   * fail, each event is dispatched on its own, so one bad event cannot hold back the others; an
   * event that fails on its own is rejected or retried later by what its error says (see
   * event-outcomes.ts). Throws only when even that could not be recorded (the store is down): the
   * event's claim then runs out and it is tried again.
   */
  async function dispatchAll(events: readonly InboxEvent[]): Promise<void> {
    try {
      await dispatchTogether(events);
    } catch (err) {
      if (events.length === 1) return failed(events[0]!, err);
      const failures: unknown[] = [];
      for (const event of events)
        await dispatchTogether([event])
          .catch((e: unknown) => failed(event, e))
          .catch((e: unknown) => failures.push(e));
      if (failures.length > 0) throw failures[0];
    }
  }

  async function dispatchTogether(events: readonly InboxEvent[]): Promise<void> {
    const facts = await matching.factsOf(events);
    const prepared: Prepared[] = [];
    for (const event of events)
      prepared.push(
        await withCorrelation(event.correlation_id, () =>
          inSpan(
            'match',
            { correlationId: event.correlation_id, attributes: { 'snowline.ticket': event.number } },
            () => matching.prepare(event, facts),
          ),
        ),
      );
    const committed: AfterCommit = [];
    await inTransaction(store, (trx) =>
      // The batch's runs, steps, journal entries and event endings are written together at its
      // end: a few statements for the batch rather than four per event. Nothing here reads them.
      writingAtEnd(trx, async () => {
        // Before the batch's own runs exist: only steps of earlier runs can be waiting on its tickets.
        const changed = prepared.flatMap((p) => (p.kind === 'matched' ? [p.ticket] : []));
        await repos.runs.wakeGatedSteps(trx, changed, now());
        const endings: Settlement[] = [];
        for (const p of prepared)
          await withCorrelation(p.event.correlation_id, () => record(trx, p, committed, endings));
        const [lost] = await repos.inbox.settleAllClaimed(trx, endings, now());
        // Its claim ran out and another instance holds the event: roll back what this one wrote for it.
        if (lost)
          throw new SnowlineError('dispatch.claim_lost', `event ${lost.event_key} was taken over by another instance`, {
            retryable: true,
          });
      }),
    );
    for (const report of committed) report();
    for (const p of prepared)
      metrics.eventsDispatched.inc({
        result: p.kind !== 'matched' ? p.kind : p.matched.length ? 'matched' : 'unmatched',
      });
  }

  const writingAtEnd = <T>(trx: StoreTransaction, work: () => Promise<T>) =>
    repos.runs.creatingAtEnd(trx, () => repos.audit.appendingAtEnd(trx, work));

  /**
   * Writes what a prepared event yields inside the batch's transaction, and adds how the event
   * ends to `endings` (written for the whole batch after the last event).
   */
  async function record(
    trx: StoreTransaction,
    p: Prepared,
    committed: AfterCommit,
    endings: Settlement[],
  ): Promise<void> {
    const settle = (status: Settlement['status'], note: string) => void endings.push({ event: p.event, status, note });
    if (p.kind === 'own_write') return settle('dropped', "Snowline's own write-back");
    if (p.kind === 'superseded') {
      committed.push(() => logger.info('older version not acted on', { ticket: p.event.number, reason: p.note }));
      return settle('superseded', p.note);
    }
    const rejections: Rejections = [...p.rejected];
    const started = (await actOn(trx, p.matched, p.ruleSet, p.dispatchEvent, committed, rejections)).length;
    if (rejections.length > 0) {
      const reason = rejections.map((r) => `rule ${r.rule}: ${r.reason}`).join('; ');
      settle('rejected', started ? `${reason} (runs of other rules: ${started})` : reason);
      const note = rejectionNote(
        rejections.map((r) => r.rule),
        reason,
        p.event.seq,
      );
      await enqueueNote(trx, `rejected:${randomUUID()}`, p.dispatchEvent.payload, note);
      committed.push(() => reportRejected(p.event, rejections[0]!.code, reason));
      return;
    }
    settle(
      'done',
      started
        ? `runs: ${started}`
        : p.matched.length
          ? `matched ${p.matched.length}, no active rule`
          : 'no rule matched',
    );
  }

  return { dispatch, dispatchAll, triggerManually };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;
