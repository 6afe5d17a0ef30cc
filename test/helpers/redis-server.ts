import { spawn, type ChildProcess } from 'node:child_process';
import IORedis from 'ioredis';
import { eventually, freePort } from './waiting';

/**
 * A redis-server of a test's own, on a free port, without persistence: a restart comes back empty.
 * Tests that kill or restart Redis use this one; the shared Redis of the machine is never touched.
 */
export interface OwnRedis {
  url: string;
  port: number;
  /** SIGKILLs the server (idempotent). */
  kill(): Promise<void>;
  /** Starts the server again on the same port, empty, and waits until it answers. */
  start(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const own: OwnRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async kill() {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((r) => running.once('exit', r));
      running.kill('SIGKILL');
      await exited;
    },
    async start() {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      await eventually(
        async () => {
          const probe = new IORedis(own.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
          try {
            await probe.connect();
            return (await probe.ping()) === 'PONG' ? true : undefined;
          } catch {
            return undefined;
          } finally {
            probe.disconnect();
          }
        },
        10_000,
        `redis-server on port ${port} answers`,
      );
    },
  };
  await own.start();
  return own;
}
