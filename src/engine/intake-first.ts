import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/**
 * While events arrive faster than one event loop can take them in and dispatch them, the
 * dispatcher takes at most this share of it: taking events in comes first, since each sender
 * waits for its answer and an event waits safely in the inbox. Every event is still dispatched
 * meanwhile, and the backlog at full speed once arrivals slow down.
 */
const DISPATCH_SHARE_UNDER_LOAD = 0.1;
/** Events count as arriving while the last one came this recently. */
const ARRIVING_WITHIN_MS = 50;
/** The loop counts as saturated when it was busy this much of the last window. */
const SATURATED_AT = 0.9;
const WINDOW_MS = 100;

export interface IntakeFirstOptions {
  now?: () => number;
  /** How busy the event loop was since `since` (Node's perf_hooks by default). */
  utilization?: (since?: EventLoopUtilization) => EventLoopUtilization;
}

/**
 * When the dispatcher should rest so that taking events in goes first. Only while both hold: events
 * are arriving and the event loop is saturated. At any lighter load the dispatcher uses what the
 * loop has free, and no event waits behind the policy.
 */
export function intakeFirst(options: IntakeFirstOptions = {}) {
  const now = options.now ?? Date.now;
  const utilization = options.utilization ?? ((since) => performance.eventLoopUtilization(since));
  let lastArrivalAt = -Infinity;
  let mark = utilization();
  let markedAt = now();
  let saturated = false;

  const loopSaturated = () => {
    if (now() - markedAt >= WINDOW_MS) {
      saturated = utilization(mark).utilization >= SATURATED_AT;
      mark = utilization();
      markedAt = now();
    }
    return saturated;
  };

  return {
    /** An event was taken in. */
    arrived() {
      lastArrivalAt = now();
    },
    /** How long the dispatcher rests after a busy round that took `roundMs`. */
    restAfter(roundMs: number): number {
      if (now() - lastArrivalAt >= ARRIVING_WITHIN_MS || !loopSaturated()) return 0;
      return (roundMs * (1 - DISPATCH_SHARE_UNDER_LOAD)) / DISPATCH_SHARE_UNDER_LOAD;
    },
  };
}
export type IntakeFirst = ReturnType<typeof intakeFirst>;
