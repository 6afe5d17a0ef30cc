import type { Logger } from '../observability/logger';

/**
 * Runs `work` again and again: immediately while it reports it did something, every `idleMs`
 * otherwise, and at once when woken (a new event arrived). Never two rounds at once. Stops
 * cleanly, waiting for the current round to finish.
 */
export function workLoop(name: string, work: () => Promise<boolean>, idleMs: number, logger: Logger) {
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
    inRound = false;
    schedule(busy || wakeRequested ? 0 : idleMs);
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
