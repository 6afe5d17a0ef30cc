/**
 * At most `max` calls at once, the rest waiting in order of arrival. A local limiter with no hourly
 * budget needs nothing more, and Bottleneck's local store yields to a timer (`setTimeout(0)`) several
 * times per job: on a busy event loop each of those waits a whole loop turn, which capped an
 * instance at about 200 requests a second per limiter, whatever its concurrency (docs/benchmarks.md).
 * Here a call starts in the same turn as the one before it ends.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly queue: Array<{ start(): void; refuse(error: Error): void }> = [];
  private stopped = false;

  constructor(private readonly max: number) {}

  async schedule<T>(fn: () => PromiseLike<T>): Promise<T> {
    if (this.stopped) throw stoppedError();
    if (this.active < this.max) this.active++;
    // The slot of the call that ends is handed over as it is: a call arriving meanwhile cannot take it.
    else await new Promise<void>((start, refuse) => this.queue.push({ start, refuse }));
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next.start();
      else this.active--;
    }
  }

  /** Refuses new calls and the ones still waiting; calls under way finish. */
  async disconnect(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.queue.splice(0)) waiter.refuse(stoppedError());
  }
}

function stoppedError(): Error {
  return new Error('the limiter is stopped');
}
