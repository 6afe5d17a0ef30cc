import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/**
 * While events arrive faster than one event loop can take them in and dispatch them, the
 * dispatcher takes at most this share of it: taking events in comes first, since each sender
 * waits for its answer and an event waits safely in the inbox. Every event is still dispatched
 * meanwhile, and the backlog at full speed once arrivals slow down.
 */
const DISPATCH_SHARE_UNDER_LOAD = 0.1;
/** The window over which arrivals are counted and the event loop's load is judged. */
const WINDOW_MS = 100;
/** Events arrive in a burst at this many per window (1,000 a second) and more. */
const BURST_PER_WINDOW = 100;
/** The loop counts as saturated when it was busy this much of the last window. */
const SATURATED_AT = 0.9;

export interface IntakeFirstOptions {
  now?: () => number;
  /** How busy the event loop was since `since` (Node's perf_hooks by default). */
  utilization?: (since?: EventLoopUtilization) => EventLoopUtilization;
}

/**
 * When the dispatcher should rest so that taking events in goes first. Only while both hold:
 * events arrive in a burst (the window's count, or the last window's, at BURST_PER_WINDOW or more)
 * and the event loop is saturated. At a steady trickle, or when the loop has time to spare, the
 * dispatcher uses what is free and no event waits behind the policy.
 */
export function intakeFirst(options: IntakeFirstOptions = {}) {
  const now = options.now ?? Date.now;
  const utilization = options.utilization ?? ((since) => performance.eventLoopUtilization(since));
  let mark = utilization();
  let windowStart = now();
  let saturated = false;
  let arrivals = 0;
  let lastWindowArrivals = 0;

  /** Closes the window when it is over: its load and arrivals judge the next one. */
  const judge = () => {
    const at = now();
    if (at - windowStart < WINDOW_MS) return;
    saturated = utilization(mark).utilization >= SATURATED_AT;
    mark = utilization();
    // A window left open past two (nothing asked meanwhile) says nothing of the last moment.
    lastWindowArrivals = at - windowStart < 2 * WINDOW_MS ? arrivals : 0;
    arrivals = 0;
    windowStart = at;
  };

  return {
    /** An event was taken in. */
    arrived() {
      judge();
      arrivals += 1;
    },
    /** How long the dispatcher rests after a busy round that took `roundMs`. */
    restAfter(roundMs: number): number {
      judge();
      const burst = Math.max(arrivals, lastWindowArrivals) >= BURST_PER_WINDOW;
      if (!burst || !saturated) return 0;
      return (roundMs * (1 - DISPATCH_SHARE_UNDER_LOAD)) / DISPATCH_SHARE_UNDER_LOAD;
    },
  };
}
