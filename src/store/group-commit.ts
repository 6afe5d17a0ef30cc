interface Waiting<I, R> {
  item: I;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Writes asked for in the same turn of the event loop are committed together (group commit):
 * under load many workers share one commit, the main cost of a small write, and each caller still
 * hears back only once its own write is durable. `writeAll` is given the turn's writes together,
 * makes them in one commit (one statement, or a transaction of its own) and answers each in order.
 * Should that fail, each write is made again on its own, so one bad write fails alone.
 */
export function groupCommit<I, R>(writeAll: (items: I[]) => Promise<R[]>): (item: I) => Promise<R> {
  let queue: Waiting<I, R>[] = [];

  const alone = (w: Waiting<I, R>) => writeAll([w.item]).then(([result]) => w.resolve(result!), w.reject);

  async function flush(): Promise<void> {
    const batch = queue;
    queue = [];
    if (batch.length === 1) return alone(batch[0]!);
    try {
      const results = await writeAll(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch {
      for (const w of batch) await alone(w);
    }
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (queue.length === 1) setImmediate(() => void flush());
    });
}
