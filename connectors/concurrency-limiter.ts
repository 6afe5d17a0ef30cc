/**
 * At most `max` calls at once, the rest waiting in order of arrival. A local limiter with no hourly
 * budget needs nothing more, and Bottleneck's local store yields to a timer (`setTimeout(0)`) several
 * times per job: on a busy event loop each of those waits a whole loop turn, which capped an
 * instance at about 200 requests a second per limiter, whatever its concurrency (docs/benchmarks.md).
 * Here a call starts in the same turn as the one before it ends.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly max: number) {}

  async schedule<T>(fn: () => PromiseLike<T>): Promise<T> {
    if (this.stopped) throw new Error('the limiter is stopped');
    if (this.active >= this.max) {
      await new Promise<void>((resolve, reject) =>
        this.queue.push(() => (this.stopped ? reject(new Error('the limiter is stopped')) : resolve())),
      );
    }
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  /** Refuses new calls and the ones still waiting; calls under way finish. */
  async disconnect(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.queue.splice(0)) waiter();
  }
}
