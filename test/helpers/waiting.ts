import { createServer } from 'node:net';

/** A loopback port free right now, for a server the test starts by port number. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it gives a value (anything but undefined); fails after `timeoutMs`, naming `what`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 25_000,
  what = 'condition reached',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
