import express from 'express';
import type { ActionHandler } from '../../connectors/connector';
import { errorHandler } from '../../src/errors/http-error';
import { connectorSet } from '../../src/engine/connector-set';
import { createDispatcher } from '../../src/engine/dispatcher';
import { createEngine } from '../../src/engine/engine';
import { createOutboxSender } from '../../src/engine/outbox-sender';
import { createStepWorker } from '../../src/engine/step-worker';
import { createRunAdmission } from '../../src/engine/run-admission';
import { createWritebackCompletion } from '../../src/engine/writeback-completion';
import { createIntake } from '../../src/ingest/intake';
import { SERVICENOW_WEBHOOK_PATH, webhookReceiver } from '../../src/ingest/webhook.receiver';
import { silentLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { buildRuleSet } from '../../src/rules/build-rule-set';
import { openStore, repositories } from '../../src/store';
import { workSignalsFor } from '../../src/store/work-signals';
import {
  BENCH_CATALOG,
  BENCH_MAPPING,
  BENCH_WEBHOOK_SECRET,
  type InstanceMemoryReport,
  type InstanceReport,
  type InstanceRequest,
  type MemoryFigures,
} from './engine-protocol';

/**
 * One Snowline instance for the engine benchmark, in its own process: the real webhook route
 * (HMAC, validation, inbox commit) in front of the real engine loops and store. Its backend's jobs
 * run for `BENCH_JOB_CHECK_MS` between checks and never finish, so every run ends up waiting on a
 * slow job. It notes when each ticket's first step reached the backend (epoch ms, comparable
 * across processes; only counted when BENCH_START_TIMES=0, so the memory figure holds no bench
 * bookkeeping) and answers the parent's messages. Prints its port on stdout.
 */
async function main(): Promise<void> {
  const storeOptions = {
    sqlitePath: process.env.BENCH_DB!,
    postgresUrl: process.env.BENCH_DATABASE_URL || undefined,
    postgresSchema: process.env.BENCH_SCHEMA || undefined,
  };
  const store = await openStore(storeOptions);
  const repos = repositories(store);
  const metrics = createMetrics();
  const logger = silentLogger();
  const signals = workSignalsFor(store, storeOptions, logger);
  const { ruleSet } = buildRuleSet({ 'incident.yaml': BENCH_MAPPING }, BENCH_CATALOG);
  const checkAfterMs = Number(process.env.BENCH_JOB_CHECK_MS);
  const keepStartTimes = process.env.BENCH_START_TIMES !== '0';
  const startedAt: Array<[string, number]> = [];
  let startedCount = 0;
  const launch: ActionHandler<{ host: string }, unknown> = {
    async start(_params, ctx) {
      startedCount += 1;
      if (keepStartTimes) startedAt.push([ctx.ticket.number, performance.timeOrigin + performance.now()]);
      return { status: 'pending', ref: ctx.idempotencyKey, checkAfterMs };
    },
    async check(ref) {
      return { status: 'pending', ref, checkAfterMs };
    },
  };
  const connectors = connectorSet({
    bench: {
      descriptor: { classify: () => 'transient' } as never,
      runtime: { actions: { launch }, health: async () => ({ ok: true }) },
    },
  });
  const retry = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 10_000 };
  const owner = `bench-${process.pid}`;
  const dispatcher = createDispatcher({
    store,
    repos,
    rules: () => ruleSet!,
    integrationUser: 'snowline',
    logger,
    metrics,
  });
  const stepWorker = createStepWorker({ store, repos, connectors, logger, metrics, owner, leaseMs: 30_000, retry });
  const outboxSender = createOutboxSender({
    store,
    repos,
    target: { patch: async () => ({ modCount: 1 }), journalContains: async () => false, classify: () => 'permanent' },
    logger,
    metrics,
    owner,
    leaseMs: 30_000,
    retry,
  });
  const engine = createEngine({
    repos,
    signals,
    dispatcher,
    stepWorker,
    outboxSender,
    writebacks: createWritebackCompletion({ store, repos, logger, metrics }),
    admission: createRunAdmission({ store, repos, logger }),
    logger,
    metrics,
    owner,
    leaseMs: 30_000,
    tickMs: 200,
    concurrency: 64,
  });
  const intake = createIntake({ inbox: repos.inbox, metrics, onAccepted: () => engine.wake() });
  const app = express();
  app.post(
    SERVICENOW_WEBHOOK_PATH,
    webhookReceiver(
      { secret: BENCH_WEBHOOK_SECRET, replayWindowSeconds: 300, bodyLimitBytes: 1024 * 1024 },
      intake,
      logger,
      metrics,
    ),
  );
  app.use(errorHandler(logger));
  engine.start();
  let cpuMark = process.cpuUsage();

  const waitingSteps = async () => {
    const row = await store.db
      .selectFrom('steps')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'waiting')
      .where('lease_owner', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };

  process.on('message', async (request: InstanceRequest) => {
    if (request.type === 'mark') {
      cpuMark = process.cpuUsage();
      return process.send!({ type: 'marked' });
    }
    if (request.type === 'count') return process.send!({ type: 'count', started: startedCount });
    if (request.type === 'memory') {
      const report: InstanceMemoryReport = { type: 'memory', waiting: await waitingSteps(), ...memoryAfterGc() };
      return process.send!(report);
    }
    const cpu = process.cpuUsage(cpuMark);
    const { rssMb, heapUsedMb } = memoryAfterGc();
    const report: InstanceReport = {
      type: 'report',
      startedAt,
      cpuMs: (cpu.user + cpu.system) / 1000,
      rssMb,
      heapUsedMb,
    };
    process.send!(report);
  });
  // Exit normally (so --cpu-prof writes its profile); the work left in the store dies with the bench.
  process.on('SIGTERM', () => process.exit(0));
  const server = app.listen(0, '127.0.0.1', () =>
    process.stdout.write(`${(server.address() as { port: number }).port}\n`),
  );
}

const MB = 1024 * 1024;

function memoryAfterGc(): MemoryFigures {
  // Twice: the first collection's finalizers free objects the second one can then reclaim.
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return { rssMb: usage.rss / MB, heapUsedMb: usage.heapUsed / MB, externalMb: usage.external / MB };
}

void main();
