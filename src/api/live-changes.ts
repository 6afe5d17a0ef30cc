import type { Logger } from '../observability/logger';
import type { ActivitySnapshot } from '../store/activity.repository';

/** What moved since the last look: the console reloads what it shows when told. */
export interface LiveChange {
  /** Active runs that changed, started or ended (by id). */
  runs: string[];
  /** Runs or inbox events were created or changed state. */
  counts: boolean;
}

export interface LiveSubscriber {
  change(change: LiveChange): void;
  /** The feed is closing (shutdown): end the stream. */
  closed(): void;
}

export interface LiveChanges {
  /** Tells `subscriber` of every change until the returned function is called, and when the feed closes. */
  subscribe(subscriber: LiveSubscriber): () => void;
  subscribers(): number;
  /** Stops looking and tells every subscriber to go (at shutdown). */
  close(): void;
}

/** Pure: the difference between two snapshots, or undefined when nothing moved. */
export function changeBetween(before: ActivitySnapshot, after: ActivitySnapshot): LiveChange | undefined {
  const runs = new Set<string>();
  for (const [id, fingerprint] of after.activeRuns) if (before.activeRuns.get(id) !== fingerprint) runs.add(id);
  for (const id of before.activeRuns.keys()) if (!after.activeRuns.has(id)) runs.add(id);
  const counts = before.counts !== after.counts;
  return runs.size > 0 || counts ? { runs: [...runs], counts } : undefined;
}

/**
 * One look at the store every `everyMs` while anyone is watching, shared by every open console:
 * a hundred consoles cost the store what one costs. Looking at the store rather than at this
 * process's engine sees the work of every instance sharing it.
 */
export function createLiveChanges(deps: {
  snapshot(): Promise<ActivitySnapshot>;
  everyMs: number;
  logger: Logger;
}): LiveChanges {
  const listeners = new Set<LiveSubscriber>();
  let timer: NodeJS.Timeout | undefined;
  let last: ActivitySnapshot | undefined;
  let looking = false;

  async function look(): Promise<void> {
    if (looking) return;
    looking = true;
    try {
      const now = await deps.snapshot();
      const change = last && changeBetween(last, now);
      last = now;
      if (change) for (const listener of listeners) listener.change(change);
    } catch (err) {
      // The next look tries again; consoles keep their last data meanwhile.
      deps.logger.warn('live changes: the store could not be read', { error: (err as Error).message });
    } finally {
      looking = false;
    }
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (!timer) {
        void look();
        timer = setInterval(() => void look(), deps.everyMs);
        timer.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
          last = undefined;
        }
      };
    },
    subscribers: () => listeners.size,
    close() {
      clearInterval(timer);
      timer = undefined;
      for (const listener of [...listeners]) listener.closed();
      listeners.clear();
    },
  };
}
