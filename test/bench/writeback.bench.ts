import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { startServing } from '../../src/cli/start-serving';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { signWebhook } from '../../src/security/webhook-signature';
import { openStore } from '../../src/store';
import { freePort } from '../helpers/waiting';
import { postLoad } from './load';
import { SANDBOX_ADMIN, startSandboxProcess, type SandboxProcess } from './sandbox-process';
import { drainOutbox, runsEnded, type OutboxDrainResult } from './outbox-drain';

export interface WritebackBenchOptions {
  /** Matching events in the burst. */
  events: number;
  /** Webhook senders in flight. */
  concurrency: number;
}

export interface WritebackBenchResult {
  events: number;
  /** Runs completed (write-backs settled) per second, from the first event sent to the last run ended. */
  completedPerSecond: number;
  /** Runs that ended `succeeded` (their PATCH and attachment reached the ticket). */
  succeeded: number;
  /** Event sent → its run ended (its last write-back settled). */
  p50Ms: number;
  p99Ms: number;
  /** HTTP requests the sandbox's ServiceNow APIs served per completed run (a batch counts once). */
  callsPerRun: number;
  /** The calls carried inside those requests per run (a batch's items each counted). */
  itemsPerRun: number;
  /** Requests the controller served per completed run (launch, its lookups, job checks, output). */
  controllerCallsPerRun: number;
  /** After the burst, events offered at a steady 10/s: event sent → its run ended. */
  steady: { events: number; p50Ms: number; p99Ms: number };
  /** The same number of runs' write-backs queued at once and delivered by the outbox loop alone. */
  outboxOnly: OutboxDrainResult;
  /**
   * CPU per completed run over the burst: this process (Snowline, and the load generator beside it)
   * and the sandbox's process; undefined where /proc cannot tell. With the machine's cores, the most
   * runs a second the two could complete between them.
   */
  cpu: { snowlineMsPerRun: number; sandboxMsPerRun?: number; cores: number };
}

/** The figures in one line each, with the targets of issue 16 beside them. */
export function writebackLines(r: WritebackBenchResult): string {
  const o = r.outboxOnly;
  return [
    `${'write-backs, end to end'.padEnd(28)} ${r.completedPerSecond.toFixed(0).padStart(7)} runs completed/s (target ≥ 600)   ${r.events} events, 64 senders: event → write-back p50 ${r.p50Ms.toFixed(0)} ms (≤ 500), p99 ${r.p99Ms.toFixed(0)} ms (≤ 3000)   ServiceNow calls/run ${r.callsPerRun.toFixed(2)} (≤ 1.5; ${r.itemsPerRun.toFixed(2)} counting batch items)   controller calls/run ${r.controllerCallsPerRun.toFixed(2)}   ${r.succeeded} succeeded`,
    `${'write-backs, steady 10/s'.padEnd(28)} ${r.steady.events} events: event → write-back p50 ${r.steady.p50Ms.toFixed(0)} ms (≤ 15), p99 ${r.steady.p99Ms.toFixed(0)} ms (≤ 50)`,
    `${'write-backs, where CPU goes'.padEnd(28)} per completed run: Snowline (with the load generator) ${r.cpu.snowlineMsPerRun.toFixed(2)} ms, the sandbox ${r.cpu.sandboxMsPerRun?.toFixed(2) ?? '?'} ms: ${r.cpu.cores} cores complete at most ${ceiling(r.cpu)} runs/s between them`,
    `${'write-backs, outbox alone'.padEnd(28)} (Batch API on) ${o.completedPerSecond.toFixed(0).padStart(7)} runs completed/s (target ≥ 600)   ${o.runs} runs queued at once: queued → written back p50 ${o.p50Ms.toFixed(0)} ms, p99 ${o.p99Ms.toFixed(0)} ms   ServiceNow calls/run ${o.callsPerRun.toFixed(2)}`,
  ].join('\n');
}

/** The runs a second the machine's cores could complete if Snowline and the sandbox used nothing else. */
function ceiling(cpu: WritebackBenchResult['cpu']): string {
  if (cpu.sandboxMsPerRun === undefined) return '?';
  return ((cpu.cores * 1000) / (cpu.snowlineMsPerRun + cpu.sandboxMsPerRun)).toFixed(0);
}

const SECRET = 'bench-writeback-webhook-secret';
const WEBHOOK_PATH = '/webhooks/servicenow';

/**
 * The demo rule end to end: Snowline (SQLite) in this process, the sandbox in its own (where
 * ServiceNow and the controller would be), a burst
 * of signed "service is down" events for incidents that exist in the sandbox, each run launching
 * the controller job and writing back (work note, state/close_code/close_notes, the job's output
 * attached). Counts what the sandbox served while the burst was handled.
 */
export async function benchWriteback(options: WritebackBenchOptions): Promise<WritebackBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'snowline-bench-writeback-'));
  const [port, sandboxPort] = [await freePort(), await freePort()];
  const sandbox = await startSandboxProcess(sandboxPort);
  const site = join(dir, 'site.yaml');
  // Jobs end at once and are looked at every 50 ms: the figure is the write-back path, not the
  // controller's pace. The Table API poll is pushed out of the bench's way: the incidents are created
  // before their events are sent, and a poll finding them first would start runs before "sent".
  writeFileSync(site, 'awx:\n  pollIntervalMs: 50\nservicenow:\n  pollSeconds: 3600\nlogging:\n  level: error\n');
  const config = loadConfig({
    env: {
      PORT: String(port),
      SERVICENOW_URL: sandbox.url,
      SERVICENOW_USER: SANDBOX_ADMIN.username,
      SERVICENOW_PASSWORD: SANDBOX_ADMIN.password,
      AWX_URL: sandbox.url,
      AWX_TOKEN: 'sandbox',
      SNOWLINE_DB: join(dir, 'snowline.db'),
      SNOWLINE_CONFIG: site,
      SNOWLINE_WEBHOOK_SECRET: SECRET,
      SNOWLINE_JWT_SECRET: 'bench-writeback-jwt-secret-0123456789',
      LOG_LEVEL: 'error',
    },
  });
  try {
    const endToEnd = await endToEndFigures(config, sandbox, dir, options);
    // After the app stopped: the outbox alone, with nothing else of Snowline's running beside it,
    // against the same sandbox process.
    return { ...endToEnd, outboxOnly: await drainOutbox(dir, options.events, sandbox) };
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function endToEndFigures(
  config: ReturnType<typeof loadConfig>,
  sandbox: SandboxProcess,
  dir: string,
  options: WritebackBenchOptions,
): Promise<Omit<WritebackBenchResult, 'outboxOnly'>> {
  const app = await startServing(config, createLogger('error'));
  try {
    const sn = axios.create({ baseURL: sandbox.url, auth: SANDBOX_ADMIN });
    const events = await createIncidents(sn, options.events);
    await sn.delete('/sandbox/requests');
    const sentAt: number[] = [];
    const cpuPerRun = cpuMeter(sandbox);
    const started = Date.now();
    await postLoad(`${app.url}${WEBHOOK_PATH}`, events, options.concurrency, (i) => (sentAt[i] = Date.now()));
    const ended = await runsEndedIn(join(dir, 'snowline.db'), options.events);
    const cpu = cpuPerRun(ended.length);
    const served = (await sn.get('/sandbox/requests')).data as { byApi: Record<string, number>; batchItems: number };
    const calls = Object.entries(served.byApi)
      .filter(([api]) => api !== 'awx')
      .reduce((sum, [, n]) => sum + n, 0);
    const index = new Map(events.map((e, i) => [e.number, i]));
    const latencies = ended.map((r) => r.finishedAt - sentAt[index.get(r.ticket)!]!).sort((a, b) => a - b);
    const pct = (p: number) => percentile(latencies, p);
    const last = Math.max(...ended.map((r) => r.finishedAt));
    const steady = await steadyFigures(sn, `${app.url}${WEBHOOK_PATH}`, join(dir, 'snowline.db'), options.events);
    return {
      steady,
      cpu,
      events: options.events,
      completedPerSecond: ended.length / ((last - started) / 1000),
      succeeded: ended.filter((r) => r.state === 'succeeded').length,
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      callsPerRun: calls / ended.length,
      itemsPerRun: (calls - (served.byApi.batch ?? 0) + served.batchItems) / ended.length,
      controllerCallsPerRun: (served.byApi.awx ?? 0) / ended.length,
    };
  } finally {
    await app.stop();
  }
}

/** Starts counting this process's CPU and the sandbox's; the result gives the CPU per run since. */
function cpuMeter(sandbox: SandboxProcess): (runs: number) => WritebackBenchResult['cpu'] {
  const [ownBefore, sandboxBefore] = [process.cpuUsage(), sandbox.cpuMs()];
  return (runs) => {
    const own = process.cpuUsage(ownBefore);
    const sandboxAfter = sandbox.cpuMs();
    const sandboxMs =
      sandboxBefore === undefined || sandboxAfter === undefined ? undefined : sandboxAfter - sandboxBefore;
    return {
      snowlineMsPerRun: (own.user + own.system) / 1000 / runs,
      ...(sandboxMs === undefined ? {} : { sandboxMsPerRun: sandboxMs / runs }),
      cores: availableParallelism(),
    };
  };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

/** 100 events offered at a steady 10 per second once the burst is done: event sent → run ended. */
async function steadyFigures(sn: AxiosInstance, url: string, dbPath: string, before: number) {
  const events = await createIncidents(sn, STEADY_EVENTS);
  const sentAt = new Map<string, number>();
  const started = Date.now();
  const sends: Promise<unknown>[] = [];
  for (const [i, event] of events.entries()) {
    const wait = started + i * (1000 / STEADY_PER_SECOND) - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sentAt.set(event.number, Date.now());
    sends.push(postLoad(url, [event], 1));
  }
  await Promise.all(sends);
  const ended = (await runsEndedIn(dbPath, before + STEADY_EVENTS)).filter((r) => sentAt.has(r.ticket));
  const latencies = ended.map((r) => r.finishedAt - sentAt.get(r.ticket)!).sort((a, b) => a - b);
  return { events: ended.length, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}
const STEADY_EVENTS = 100;
const STEADY_PER_SECOND = 10;

type SignedEvent = { number: string; body: Buffer; headers: Record<string, string> };

/** Incidents inserted in the sandbox (its Business Rule off), and the signed event it would post for each. */
async function createIncidents(sn: AxiosInstance, count: number): Promise<SignedEvent[]> {
  const events: SignedEvent[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, (_, k) =>
      sn.post('/api/now/table/incident', { short_description: `nginx is down on web-${(i + k) % 50}` }),
    );
    for (const created of await Promise.all(batch)) events.push(signedInsert(created.data.result));
  }
  return events;
}

function signedInsert(record: Record<string, string>): SignedEvent {
  const raw = Object.fromEntries(
    Object.entries(record).map(([k, v]) => [
      k,
      typeof v === 'object' && v ? String((v as { value: unknown }).value) : v,
    ]),
  );
  const body = Buffer.from(
    JSON.stringify({
      event: 'inserted',
      table: 'incident',
      sys_id: raw.sys_id,
      number: raw.number,
      sys_mod_count: raw.sys_mod_count,
      sys_updated_on: raw.sys_updated_on,
      sys_updated_by: raw.sys_updated_by,
      changed_fields: [],
      record: raw,
    }),
  );
  const { timestamp, signature } = signWebhook(SECRET, body);
  return {
    number: raw.number!,
    body,
    headers: { 'x-snowline-timestamp': timestamp, 'x-snowline-signature': signature },
  };
}

/** Waits until `count` runs have ended (after their write-backs), read from the store Snowline writes. */
async function runsEndedIn(dbPath: string, count: number) {
  const store = await openStore({ sqlitePath: dbPath });
  try {
    return await runsEnded(store, count);
  } finally {
    await store.close();
  }
}
