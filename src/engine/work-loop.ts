import type { Logger } from '../observability/logger';

/**
 * Runs `work` again and again: immediately while it reports it did something, otherwise when the
 * next work falls due (`msUntilDue`: a job to check on in 50 ms is not left for the idle interval)
 * or after `idleMs` at the latest, and at once when woken (a new event arrived). Never two rounds
 * at once. Stops cleanly, waiting for the current round to finish.
 */
export function workLoop(
  name: string,
  work: () => Promise<boolean>,
  idleMs: number,
  logger: Logger,
  msUntilDue?: () => Promise<number | undefined>,
) {
  let running = false;
  let inRound = false;
  let wakeRequested = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const schedule = (delayMs: number) => {
    clearTimeout(timer);
    if (running) timer = setTimeout(() => (current = round()), delayMs);
  };

  async function round(): Promise<void> {
    inRound = true;
    wakeRequested = false;
    let busy = false;
    try {
      busy = await work();
    } catch (err) {
      logger.error(`${name} round failed`, { error: (err as Error).message });
    }
    const delayMs = busy ? 0 : await idleDelayMs();
    inRound = false;
    schedule(wakeRequested ? 0 : delayMs);
  }

  async function idleDelayMs(): Promise<number> {
    if (!msUntilDue) return idleMs;
    try {
      const dueInMs = await msUntilDue();
      return dueInMs === undefined ? idleMs : Math.min(idleMs, Math.max(0, dueInMs));
    } catch (err) {
      logger.debug(`${name}: the next due time could not be read; looking again after the idle interval`, {
        error: (err as Error).message,
      });
      return idleMs;
    }
  }

  return {
    start() {
      running = true;
      schedule(0);
    },
    /** Asks for a round soon instead of after the idle interval. */
    wake() {
      if (inRound) wakeRequested = true;
      else schedule(0);
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await current;
    },
  };
}
export type WorkLoop = ReturnType<typeof workLoop>;
