import type { Logger } from '../observability/logger';

/**
 * Runs `work` again and again: immediately while it reports that more may be waiting (as a rule,
 * because its round did something; the step loop says so only when its claim may have left due
 * steps behind), every `idleMs` otherwise, at once when woken (a new event arrived), and when work
 * it was told of falls due (`wakeIn`: a job to check on in 50 ms is not left for the idle
 * interval). Never two rounds at once. Stops cleanly, waiting for the current round to finish.
 *
 * `restAfter(roundMs)` may ask the loop to rest after such a round, however often it is woken
 * meanwhile: how a loop gives up part of the event loop to work that must come first.
 */
export function workLoop(
  name: string,
  work: () => Promise<boolean>,
  idleMs: number,
  logger: Logger,
  restAfter: (roundMs: number) => number = () => 0,
) {
  let running = false;
  let inRound = false;
  let wakeRequested = false;
  let timer: { cancel(): void } | undefined;
  let nextRoundAt = Infinity;
  /** No round starts before this (a rest after a busy round). */
  let restUntil = 0;
  /** The earliest time work was said to fall due that no round has started after yet. */
  let dueAt = Infinity;
  let current: Promise<void> = Promise.resolve();

  const schedule = (delayMs: number) => {
    timer?.cancel();
    timer = undefined;
    const at = Math.max(Date.now() + delayMs, restUntil);
    nextRoundAt = at;
    if (running) timer = later(() => (current = round()), at - Date.now());
  };

  async function round(): Promise<void> {
    inRound = true;
    wakeRequested = false;
    const startedAt = Date.now();
    if (dueAt <= startedAt) dueAt = Infinity;
    let busy = false;
    try {
      busy = await work();
    } catch (err) {
      logger.error(`${name} round failed`, { error: (err as Error).message });
    }
    inRound = false;
    if (busy) restUntil = Date.now() + restAfter(Date.now() - startedAt);
    schedule(busy || wakeRequested ? 0 : Math.min(idleMs, Math.max(0, dueAt - Date.now())));
  }

  return {
    start() {
      running = true;
      schedule(0);
    },
    /** Asks for a round soon instead of after the idle interval. */
    wake() {
      if (inRound) wakeRequested = true;
      else if (nextRoundAt > Math.max(Date.now(), restUntil)) schedule(0);
    },
    /** Asks for a round in `ms`, when work falls due, unless one comes sooner. */
    wakeIn(ms: number) {
      const at = Date.now() + Math.max(0, ms);
      dueAt = Math.min(dueAt, at);
      if (!inRound && at < nextRoundAt) schedule(at - Date.now());
    },
    async stop() {
      running = false;
      timer?.cancel();
      await current;
    },
  };
}
export type WorkLoop = ReturnType<typeof workLoop>;

/**
 * Runs `fn` after `delayMs`; with no delay, right after the pending I/O (setImmediate) rather than
 * on a timer, which waits at least a millisecond: a run's hand-overs between loops (inbox → step →
 * write-back) are several such turns.
 */
function later(fn: () => void, delayMs: number): { cancel(): void } {
  if (delayMs <= 0) {
    const immediate = setImmediate(fn);
    return { cancel: () => clearImmediate(immediate) };
  }
  const timeout = setTimeout(fn, delayMs);
  return { cancel: () => clearTimeout(timeout) };
}
