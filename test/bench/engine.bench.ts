import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionHandler } from '../../connectors/connector';
import { connectorSet } from '../../src/engine/connector-set';
import { createDispatcher } from '../../src/engine/dispatcher';
import { createEngine } from '../../src/engine/engine';
import { createOutboxSender } from '../../src/engine/outbox-sender';
import { createRunAdmission } from '../../src/engine/run-admission';
import { createStepWorker } from '../../src/engine/step-worker';
import { createIntake } from '../../src/ingest/intake';
import { silentLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { buildRuleSet } from '../../src/rules/load-rule-set';
import type { MappingCatalog } from '../../src/rules/mapping-catalog';
import { openStore, repositories } from '../../src/store';
import { sql } from 'kysely';
import { z } from 'zod';

const MAPPING = `
table: incident
rules:
  - id: restart
    description: Restart a service that is down
    owner: Linux Ops
    risk: low
    condition: short_descriptionLIKEis down on
    params: { host: "{{ ticket.short_description | capture: 'on ([a-z0-9-]+)' }}" }
    steps:
      - { name: restart, use: bench.launch, with: { host: "{{ params.host }}" } }
`;

const catalog: MappingCatalog = {
  fieldExists: () => true,
  connectorExists: (c) => c === 'bench',
  action: (c, a) => (c === 'bench' && a === 'launch' ? { name: 'launch', description: 'launch', params: z.object({ host: z.string() }), result: z.unknown() } : undefined),
  template: () => undefined,
  withTemplates() {
    return this;
  },
};

export interface EngineBenchResult {
  store: string;
  runs: number;
  /** Runs whose first step was started, per second, over the whole burst. */
  startedPerSecond: number;
  /** Event accepted into the inbox → first step's backend call, at the offered rate. */
  p50Ms: number;
  p99Ms: number;
  offeredPerSecond: number;
  /** Resident set size with every run waiting on its (never finishing) backend job, after GC. */
  rssMb: number;
}

/**
 * One Snowline engine in this process (dispatcher + step workers, real loops and store), a backend
 * whose jobs never finish (every run ends up waiting, holding no memory). Measures:
 *   1. a burst of `burst` events: runs started per second;
 *   2. `paced` events offered at `ratePerSecond`: event accepted → first step's backend call, p50/p99;
 *   3. RSS once all of them are waiting.
 */
export async function benchEngine(options: { postgresUrl?: string; burst: number; paced: number; ratePerSecond: number }): Promise<EngineBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'snowline-bench-'));
  const schema = `bench_${Date.now()}`;
  const store = await openStore({ sqlitePath: join(dir, 'bench.db'), postgresUrl: options.postgresUrl, postgresSchema: options.postgresUrl ? schema : undefined });
  const repos = repositories(store);
  const metrics = createMetrics();
  const logger = silentLogger();
  const { ruleSet } = buildRuleSet({ 'incident.yaml': MAPPING }, catalog);
  const acceptedAt = new Map<string, number>();
  const latencies: number[] = [];
  let started = 0;
  const launch: ActionHandler<{ host: string }, unknown> = {
    async start(_params, ctx) {
      const at = acceptedAt.get(ctx.ticket.number);
      if (at !== undefined) latencies.push(performance.now() - at);
      started += 1;
      return { status: 'pending', ref: ctx.idempotencyKey, checkAfterMs: 3_600_000 };
    },
    async check(ref) {
      return { status: 'pending', ref, checkAfterMs: 3_600_000 };
    },
  };
  const connectors = connectorSet({ bench: { descriptor: { classify: () => 'transient' } as never, runtime: { actions: { launch }, health: async () => ({ ok: true }) } } });
  const retry = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 10_000 };
  const owner = 'bench';
  const dispatcher = createDispatcher({ store, repos, rules: () => ruleSet!, integrationUser: 'snowline', logger, metrics });
  const stepWorker = createStepWorker({ store, repos, connectors, logger, metrics, owner, leaseMs: 30_000, retry });
  const outboxSender = createOutboxSender({ repos, target: { patch: async () => ({ modCount: 1 }), journalContains: async () => false, classify: () => 'permanent' }, logger, metrics, owner, retry });
  const engine = createEngine({ repos, dispatcher, stepWorker, outboxSender, admission: createRunAdmission({ store, logger }), logger, metrics, owner, leaseMs: 30_000, tickMs: 200, concurrency: 64 });
  const intake = createIntake({ inbox: repos.inbox, metrics, onAccepted: () => engine.wake() });
  engine.start();

  let seq = 0;
  const offer = async () => {
    const n = seq++;
    const sysId = n.toString(16).padStart(32, '0');
    const number = `INC${String(n).padStart(7, '0')}`;
    acceptedAt.set(number, performance.now());
    await intake.accept({
      event: 'inserted', table: 'incident', sys_id: sysId, number, sys_mod_count: 0, sys_updated_on: '2026-11-28 09:00:00',
      sys_updated_by: 'bench', changed_fields: [], record: { sys_id: sysId, short_description: `nginx is down on web-${n % 50}`, state: '1' },
    }, 'webhook');
  };
  const until = async (count: number) => {
    while (started < count) await new Promise((r) => setTimeout(r, 5));
  };

  // 1. burst: everything offered as fast as the inbox takes it
  const burstStart = performance.now();
  for (let i = 0; i < options.burst; i++) await offer();
  await until(options.burst);
  const startedPerSecond = options.burst / ((performance.now() - burstStart) / 1000);

  // 2. paced: latency at a steady offered rate
  latencies.length = 0;
  const intervalMs = 1000 / options.ratePerSecond;
  const pacedStart = performance.now();
  for (let i = 0; i < options.paced; i++) {
    const due = pacedStart + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await offer();
  }
  await until(options.burst + options.paced);
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

  // 3. memory with every run waiting
  acceptedAt.clear();
  latencies.length = 0;
  (globalThis as { gc?: () => void }).gc?.();
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  await engine.stop(1000);
  if (options.postgresUrl) await sql`drop schema ${sql.id(schema)} cascade`.execute(store.db);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { store: store.dialect, runs: options.burst + options.paced, startedPerSecond, p50Ms: pct(0.5), p99Ms: pct(0.99), offeredPerSecond: options.ratePerSecond, rssMb };
}
