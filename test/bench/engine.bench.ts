import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { signWebhook } from '../../src/security/webhook-signature';
import { BENCH_WEBHOOK_SECRET, type InstanceReport, type InstanceRequest } from './engine-protocol';
import { postLoad } from './load';
import { postgresCpuMs } from './process-cpu';

export interface EngineBenchOptions {
  postgresUrl?: string;
  /** Snowline processes sharing the store (more than one needs PostgreSQL). */
  instances: number;
  burst: number;
  paced: number;
  ratePerSecond: number;
  /** How long the backend's (never finishing) jobs ask to wait between checks. */
  jobCheckMs: number;
}

export interface EngineBenchResult {
  store: string;
  instances: number;
  runs: number;
  /** Runs whose first step reached the backend, per second, over the whole burst. */
  startedPerSecond: number;
  /** CPU of the Snowline processes per run during the burst, webhook included (steadier than rates on a shared machine). */
  cpuUsPerRun: number;
  /** PostgreSQL's own CPU per run during the burst (its server runs on this machine); undefined on SQLite. */
  storeCpuUsPerRun?: number;
  /** Webhook sent → first step's backend call, at the offered rate. */
  p50Ms: number;
  p99Ms: number;
  offeredPerSecond: number;
  /** Resident set size of the largest instance after GC, with every run waiting on its job. */
  rssMb: number;
  /** Its JS heap in use after that GC. */
  heapUsedMb: number;
}

export interface Instance {
  child: ChildProcess;
  url: string;
  ask<T>(request: InstanceRequest): Promise<T>;
}

export async function startInstance(env: NodeJS.ProcessEnv): Promise<Instance> {
  const script = join(__dirname, `engine-instance${__filename.slice(-3)}`);
  const child = spawn(
    process.execPath,
    ['--expose-gc', ...process.execArgv.filter((a) => a !== '--expose-gc'), script],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, ...env } },
  );
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`bench instance exited with ${code}`)));
  });
  // One question at a time per instance, so the next message is the answer.
  const ask = <T>(request: InstanceRequest) =>
    new Promise<T>((resolve) => {
      child.once('message', (m) => resolve(m as T));
      child.send(request);
    });
  return { child, url: `http://127.0.0.1:${port}/webhooks/servicenow`, ask };
}

let ticketSeq = 0;

/** A signed "service is down" insert, as the Business Rule would post it. */
export function signedEvent(): { number: string; body: Buffer; headers: Record<string, string> } {
  const n = ticketSeq++;
  const sysId = randomBytes(16).toString('hex');
  const number = `INC${String(n).padStart(7, '0')}`;
  const body = Buffer.from(
    JSON.stringify({
      event: 'inserted',
      table: 'incident',
      sys_id: sysId,
      number,
      sys_mod_count: '0',
      sys_updated_on: '2026-11-28 09:00:00',
      sys_updated_by: 'bench',
      changed_fields: [],
      record: { sys_id: sysId, short_description: `nginx is down on web-${n % 50}`, state: '1' },
    }),
  );
  const { timestamp, signature } = signWebhook(BENCH_WEBHOOK_SECRET, body);
  return { number, body, headers: { 'x-snowline-timestamp': timestamp, 'x-snowline-signature': signature } };
}

function post(agent: http.Agent, url: string, event: { body: Buffer; headers: Record<string, string> }): Promise<void> {
  const target = new URL(url);
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        method: 'POST',
        hostname: target.hostname,
        port: target.port,
        path: target.pathname,
        headers: { 'content-type': 'application/json', 'content-length': event.body.length, ...event.headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', () => resolve());
    req.end(event.body);
  });
}

const epochMs = () => performance.timeOrigin + performance.now();

/**
 * Snowline instances in their own processes (webhook route + engine loops + store), a backend
 * whose jobs never finish (every run ends up waiting, checked every `jobCheckMs`). Measures:
 *   1. a burst of `burst` webhooks, 64 in flight: runs started per second and CPU per run;
 *   2. `paced` webhooks offered at `ratePerSecond`: webhook sent → first step's backend call, p50/p99;
 *   3. RSS once all of them are waiting.
 */
export async function benchEngine(options: EngineBenchOptions): Promise<EngineBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'snowline-bench-'));
  const schema = `bench_${Date.now()}`;
  // Set even when empty: the parent's own BENCH_DATABASE_URL must not turn a SQLite instance into a PostgreSQL one.
  const env = {
    BENCH_DB: join(dir, 'bench.db'),
    BENCH_JOB_CHECK_MS: String(options.jobCheckMs),
    BENCH_DATABASE_URL: options.postgresUrl ?? '',
    BENCH_SCHEMA: options.postgresUrl ? schema : '',
  };
  const instances: Instance[] = [];
  try {
    // The first instance migrates the schema before the others open it.
    for (let i = 0; i < options.instances; i++) instances.push(await startInstance(env));
    const started = async () =>
      (await Promise.all(instances.map((i) => i.ask<{ started: number }>({ type: 'count' })))).reduce(
        (sum, c) => sum + c.started,
        0,
      );
    const until = async (count: number) => {
      while ((await started()) < count) await new Promise((r) => setTimeout(r, 20));
    };

    // 1. burst, spread over the instances
    await Promise.all(instances.map((i) => i.ask({ type: 'mark' })));
    const storeCpuBefore = options.postgresUrl ? postgresCpuMs() : undefined;
    const burstStart = performance.now();
    await Promise.all(
      instances.map((instance, k) =>
        postLoad(
          instance.url,
          Array.from({ length: Math.ceil((options.burst - k) / options.instances) }, signedEvent),
          Math.ceil(64 / options.instances),
        ),
      ),
    );
    await until(options.burst);
    const startedPerSecond = options.burst / ((performance.now() - burstStart) / 1000);
    const storeCpuAfter = storeCpuBefore === undefined ? undefined : postgresCpuMs();
    const burstCpuMs = (await Promise.all(instances.map((i) => i.ask<InstanceReport>({ type: 'report' })))).reduce(
      (sum, r) => sum + r.cpuMs,
      0,
    );

    // 2. paced: each webhook sent at its time, round-robin over the instances
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const sentAt = new Map<string, number>();
    const sends: Promise<void>[] = [];
    const intervalMs = 1000 / options.ratePerSecond;
    const pacedStart = performance.now();
    for (let i = 0; i < options.paced; i++) {
      const wait = pacedStart + i * intervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const event = signedEvent();
      sentAt.set(event.number, epochMs());
      sends.push(post(agent, instances[i % instances.length]!.url, event));
    }
    await Promise.all(sends);
    agent.destroy();
    await until(options.burst + options.paced);

    // 3. figures, with every run waiting
    const reports = await Promise.all(instances.map((i) => i.ask<InstanceReport>({ type: 'report' })));
    const latencies = reports
      .flatMap((r) => r.startedAt.filter(([n]) => sentAt.has(n)).map(([n, at]) => at - sentAt.get(n)!))
      .sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
    return {
      store: options.postgresUrl ? 'postgres' : 'sqlite',
      instances: options.instances,
      runs: options.burst + options.paced,
      startedPerSecond,
      cpuUsPerRun: (burstCpuMs * 1000) / options.burst,
      storeCpuUsPerRun:
        storeCpuAfter === undefined ? undefined : ((storeCpuAfter - storeCpuBefore!) * 1000) / options.burst,
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      offeredPerSecond: options.ratePerSecond,
      rssMb: Math.max(...reports.map((r) => r.rssMb)),
      heapUsedMb: Math.max(...reports.map((r) => r.heapUsedMb)),
    };
  } finally {
    for (const i of instances) i.child.kill('SIGTERM');
    if (options.postgresUrl) {
      const client = new pg.Client({ connectionString: options.postgresUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
