import http from 'node:http';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<number, number>;
}

/**
 * Sends `bodies` as POSTs to `url` with `concurrency` requests in flight over keep-alive
 * connections; a bounded, self-stopping load for loopback servers only.
 */
export async function postLoad(
  url: string,
  bodies: { body: Buffer; headers: Record<string, string> }[],
  concurrency: number,
  /** Told as each body is sent, by its index (for latencies measured past the response). */
  onSend?: (index: number) => void,
): Promise<LoadResult> {
  const target = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname))
    throw new RangeError('load is only sent to loopback');
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  let next = 0;
  const started = process.hrtime.bigint();
  const one = (item: { body: Buffer; headers: Record<string, string> }) =>
    new Promise<void>((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = http.request(
        {
          agent,
          method: 'POST',
          hostname: target.hostname,
          port: target.port,
          path: target.pathname,
          headers: { 'content-type': 'application/json', 'content-length': item.body.length, ...item.headers },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
            statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
            if ((res.statusCode ?? 500) >= 300) errors++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(item.body);
    });
  const worker = async () => {
    while (next < bodies.length) {
      const index = next++;
      onSend?.(index);
      await one(bodies[index]!);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return {
    requests: bodies.length,
    errors,
    seconds,
    perSecond: bodies.length / seconds,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    statuses,
  };
}
