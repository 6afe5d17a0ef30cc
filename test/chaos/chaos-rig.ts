import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { parse, stringify } from 'yaml';
import { silentLogger } from '../../src/observability/logger';
import { createSandbox, type Sandbox } from '../../sandbox/server';
import type { FaultPlanInput, FaultTarget } from '../../sandbox/faults/fault-injector';
import { startOwnRedis, type OwnRedis } from '../helpers/redis-server';
import { startServe, waitHealthy, type SnowlineProcess } from '../helpers/snowline-process';
import { freePort } from '../helpers/waiting';

const REPO_ROOT = join(__dirname, '..', '..');
// Secrets as production wants them (random, 32 bytes): the sandbox is reached by URL, as a real instance.
const WEBHOOK_SECRET = randomBytes(32).toString('hex');
const JWT_SECRET = randomBytes(32).toString('hex');
const SECRET_KEY = randomBytes(32).toString('hex');

/**
 * Webhook deliveries go through this proxy, which stands for a load balancer in front of the
 * instances: each delivery goes to a live instance, and the first delivery for an incident whose
 * description says `lost-insert` is swallowed (answered 202, never forwarded): a lost webhook.
 */
function webhookProxy(targets: () => string[]): Promise<{ url: string; close(): Promise<void> }> {
  const dropped = new Set<string>();
  let next = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString();
      const sysId = /[0-9a-f]{32}/.exec(text)?.[0];
      if (text.includes('lost-insert') && sysId && !dropped.has(sysId)) {
        dropped.add(sysId);
        res.writeHead(202).end();
        return;
      }
      const live = targets();
      if (live.length === 0) return void res.writeHead(502).end();
      const target = live[next++ % live.length]!;
      const up = http.request(`${target}/webhooks/servicenow`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      up.end(body);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}/`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    }),
  );
}

export interface ChaosRig {
  sandbox: Sandbox;
  sn: AxiosInstance;
  redis: OwnRedis;
  fault(target: FaultTarget, plan: FaultPlanInput): Promise<void>;
  clearFaults(): Promise<void>;
  /** Faults the sandbox served so far (429s, 503s, hung and late answers), by kind. */
  faultsInjected(): Promise<Record<string, number>>;
  /** Whether every fault planned is served: counted ones used up, an outage's time over. */
  faultsServed(): Promise<boolean>;
  kill(index: number): Promise<void>;
  start(index: number): Promise<void>;
  /**
   * SIGKILLs instance `index`, whether it is serving or still starting, and starts it again in the
   * background, as an orchestrator would: the faults and incidents go on meanwhile.
   */
  restart(index: number): Promise<void>;
  /** Waits until every instance restarted in the background answers (throws if one never does). */
  allUp(): Promise<void>;
  /** Writes what every instance started so far logged (warnings and errors) to a file; returns its path. */
  keepLogs(name: string): string;
  /** The last `count` warning and error lines of every instance's log, for a failure message. */
  warnings(count: number): string;
  close(): Promise<void>;
}

/**
 * The sandbox (webhooks through the proxy), a Redis of the test's own, and `count` Snowline
 * processes on `store` (a SQLite file, or a PostgreSQL schema), with short timeouts and leases so
 * faults and kills play out in seconds.
 */
export async function startRig(count: number, store: Record<string, string>): Promise<ChaosRig> {
  const dir = mkdtempSync(join(tmpdir(), 'snowline-chaos-'));
  /** The process of each instance, serving or still starting; webhooks go to the ones that answer. */
  const instances: (SnowlineProcess | undefined)[] = Array(count).fill(undefined);
  const answering = new Set<SnowlineProcess>();
  const proxy = await webhookProxy(() =>
    instances
      .filter((i): i is SnowlineProcess => i !== undefined && answering.has(i) && i.process.exitCode === null)
      .map((i) => i.url),
  );
  const sandbox = createSandbox({
    user: 'admin',
    password: 'admin',
    awxToken: 'sandbox',
    webhookUrl: proxy.url,
    webhookSecret: WEBHOOK_SECRET,
    webhooksEnabled: true,
    jobDurationMs: 600,
    logger: silentLogger(),
  });
  const { url } = await sandbox.listen(0, '127.0.0.1');
  const sn = axios.create({ baseURL: url, auth: { username: 'admin', password: 'admin' }, timeout: 15_000 });
  const redis = await startOwnRedis();
  const config = parse(readFileSync(join(REPO_ROOT, 'config', 'default.yaml'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  // Leases renewed every third of their length, as in production (30 s): with 3 s leases, a heartbeat
  // 2 s late on a loaded host handed a step whose launch was in flight to another instance, which
  // launched again; 10 s leaves the margin production's leases have, and kills still heal in seconds.
  config.engine = { ...config.engine, leaseMs: 10_000, leaderCheckMs: 500, tickMs: 100 };
  config.servicenow = { ...config.servicenow, timeoutMs: 3000 };
  config.awx = { ...config.awx, timeoutMs: 3000, pollIntervalMs: 500 };
  const configFile = join(dir, 'snowline.yaml');
  writeFileSync(configFile, stringify(config));
  const env = {
    ...store,
    SNOWLINE_CONFIG: configFile,
    SNOWLINE_REDIS_URL: redis.url,
    SERVICENOW_URL: url,
    SERVICENOW_USER: 'admin',
    SERVICENOW_PASSWORD: 'admin',
    AWX_URL: url,
    AWX_TOKEN: 'sandbox',
    SNOWLINE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SNOWLINE_JWT_SECRET: JWT_SECRET,
    SNOWLINE_SECRET_KEY: SECRET_KEY,
    SNOWLINE_POLL_SECONDS: '2',
  };
  const ports = await Promise.all(instances.map(() => freePort()));
  const started: { index: number; process: SnowlineProcess }[] = [];
  const starting = new Map<number, Promise<void>>();
  /** Faults served under plans since replaced or cleared (the sandbox forgets them then). */
  const served: Record<string, number> = {};
  const tally = (into: Record<string, number>, plans: Record<string, { injected?: Record<string, number> } | null>) => {
    for (const plan of Object.values(plans))
      for (const [kind, n] of Object.entries(plan?.injected ?? {}))
        if (kind !== 'pass') into[kind] = (into[kind] ?? 0) + n;
    return into;
  };
  const current = async () => (await sn.get('/sandbox/faults')).data as Parameters<typeof tally>[1];
  const rig: ChaosRig = {
    sandbox,
    sn,
    redis,
    async fault(target, plan) {
      tally(served, { [target]: (await current())[target] ?? null });
      await sn.put(`/sandbox/faults/${target}`, plan);
    },
    async clearFaults() {
      tally(served, await current());
      await sn.delete('/sandbox/faults');
    },
    async faultsServed() {
      const plans = (await sn.get('/sandbox/faults')).data as Record<
        string,
        { remaining: Record<string, number>; downUntil?: number } | null
      >;
      return Object.values(plans).every(
        (p) => !p || (Object.values(p.remaining).every((n) => n === 0) && (p.downUntil ?? 0) <= Date.now()),
      );
    },
    async faultsInjected() {
      return tally({ ...served }, await current());
    },
    async kill(index) {
      const instance = instances[index];
      instances[index] = undefined;
      if (!instance || instance.process.exitCode !== null) return;
      const exited = new Promise((r) => instance.process.once('exit', r));
      instance.process.kill('SIGKILL');
      await exited;
    },
    async start(index) {
      const instance = startServe(ports[index]!, env);
      started.push({ index, process: instance });
      instances[index] = instance;
      const up = (async () => {
        // Killed while starting: its successor is waited for instead.
        const killed = new Promise<void>((r) => instance.process.once('exit', () => r()));
        // A loaded machine starts three instances slowly; one that never answers is not left running.
        await Promise.race([killed, waitHealthy(instance, 240_000)]).catch((err: Error) => {
          instance.process.kill('SIGKILL');
          throw err;
        });
        if (instance.process.exitCode === null && instance.process.signalCode === null) answering.add(instance);
      })();
      starting.set(index, up);
      await up;
    },
    async restart(index) {
      await rig.kill(index);
      rig.start(index).catch(() => undefined); // allUp reports it
    },
    async allUp() {
      await Promise.all(starting.values());
    },
    warnings(count) {
      const lines = started.flatMap((s, n) =>
        s.process.output
          .join('')
          .split('\n')
          .filter((line) => /"level":"(warn|error)"/.test(line))
          .map((line) => `[${s.index}/${n + 1}] ${line.slice(0, 400)}`),
      );
      return lines.slice(-count).join('\n');
    },
    keepLogs(name) {
      const file = join(tmpdir(), `${name}.log`);
      const text = started.map((s, n) => `=== instance ${s.index}, start ${n + 1}\n${s.process.output.join('')}`);
      writeFileSync(file, text.join('\n'));
      return file;
    },
    async close() {
      for (let i = 0; i < instances.length; i++) await rig.kill(i);
      await Promise.allSettled(starting.values());
      await sandbox.close();
      await proxy.close();
      await redis.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(instances.map((_, i) => rig.start(i)));
  } catch (err) {
    await rig.close();
    throw err;
  }
  return rig;
}
