import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { withCorrelation } from '../observability/context';
import type { Repositories } from '../store';
import type { InboxEvent } from '../store/inbox.repository';
import { decideAfterDispatchFailure, dispatchFailureOf, type EventRetryPolicy } from './event-outcomes';

export interface DispatchFailureDeps {
  repos: Repositories;
  logger: Logger;
  metrics: Metrics;
  eventRetry: EventRetryPolicy;
  now: () => number;
  random: () => number;
}

/**
 * What becomes of an event whose dispatch failed on its own: rejected for an operator (a poison
 * event) or put back to be tried later, and how a rejection is reported.
 */
export function createDispatchFailures(deps: DispatchFailureDeps) {
  const { repos, logger, metrics, eventRetry, now, random } = deps;

  /** One event's dispatch failed: reject it now (permanent), or try it again later (transient) until its deadline. */
  async function failed(event: InboxEvent, err: unknown): Promise<void> {
    const failure = dispatchFailureOf(err);
    const decision = decideAfterDispatchFailure(event, failure, eventRetry, now(), random());
    await withCorrelation(event.correlation_id, async () => {
      if ('reject' in decision) return reject(event, failure.code, decision.reject);
      if (!(await repos.inbox.retryLater(event, decision.reason, decision.retryAt, now()))) return claimLost(event);
      metrics.eventsDispatched.inc({ result: 'retry' });
      logger.warn('event dispatch failed; it is tried again', {
        event: event.event_key,
        ticket: event.number,
        reason: decision.reason,
      });
    });
  }

  async function reject(event: InboxEvent, code: string, reason: string): Promise<void> {
    if (!(await repos.inbox.settleClaimed(event, 'rejected', reason, now()))) return claimLost(event);
    reportRejected(event, code, reason);
  }

  /**
   * Another instance took the event over once this one's claim ran out (its dispatch was slow), and
   * may have dispatched it already: what failed here (its runs exist, say) is not the event's fault.
   */
  function claimLost(event: InboxEvent): void {
    logger.info('event taken over by another instance while its dispatch was slow; left to it', {
      event: event.event_key,
      ticket: event.number,
    });
  }

  function reportRejected(event: InboxEvent, code: string, reason: string): void {
    metrics.eventsDispatched.inc({ result: 'rejected' });
    metrics.eventsRejected.inc({ table: event.table_name, code });
    logger.error('event rejected: it waits for an operator (snowline events list --state rejected)', {
      event: event.event_key,
      eventId: event.seq,
      ticket: event.number,
      reason,
    });
  }

  return { failed, reportRejected };
}
