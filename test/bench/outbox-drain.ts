import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import axios from 'axios';
import { ServiceNowClient } from '../../connectors/servicenow/client';
import { serviceNowWritebackTarget } from '../../src/app/writeback-target';
import type { Dispatcher } from '../../src/engine/dispatcher';
import { createEngine } from '../../src/engine/engine';
import { attachmentEntry } from '../../src/engine/job-output';
import { createOutboxSender } from '../../src/engine/outbox-sender';
import type { RunAdmission } from '../../src/engine/run-admission';
import type { StepWorker } from '../../src/engine/step-worker';
import { createWritebackCompletion } from '../../src/engine/writeback-completion';
import { silentLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { openStore, repositories, type Repositories, type Store } from '../../src/store';
import { soleInstanceSignals } from '../../src/store/work-signals';
import type { SandboxProcess } from './sandbox-process';

/** What the outbox alone achieved: runs whose write-backs were all queued at once, delivered by the engine's outbox loop. */
export interface OutboxDrainResult {
  runs: number;
  completedPerSecond: number;
  /** Queued → run ended (its write-backs settled). */
  p50Ms: number;
  p99Ms: number;
  /** HTTP requests the sandbox's ServiceNow APIs served per run (a batch counts once). */
  callsPerRun: number;
}

/** The demo rule's success write-back: state, close code and notes with the work note, then the job's output. */
const RESOLVE = { state: '6', close_code: 'Solution provided', close_notes: 'Automated remediation: nginx restarted' };
const JOB_OUTPUT =
  'PLAY [Restart service] ****\nTASK [restart] ok: [web-01]\nPLAY RECAP web-01 : ok=2 changed=1 failed=0\n';

/**
 * `runs` runs of the demo rule waiting only on their write-backs (as the step worker leaves them),
 * delivered by the engine's outbox loop (the real sender, ServiceNow client and Batch API) to the
 * sandbox in its own process, as the end-to-end figure has it: the write-back path without the
 * controller's share of the time, and without the sandbox's share of this event loop.
 */
export async function drainOutbox(dir: string, runs: number, sandbox: SandboxProcess): Promise<OutboxDrainResult> {
  const { url } = sandbox;
  const store = await openStore({ sqlitePath: join(dir, 'outbox-drain.db') });
  const client = new ServiceNowClient({ url, auth: { type: 'basic', username: 'admin', password: 'admin' } });
  try {
    const sn = axios.create({ baseURL: url, auth: { username: 'admin', password: 'admin' } });
    const tickets = await createTickets(sn, runs);
    const repos = repositories(store);
    await queueWritebacks(store, repos, tickets);
    await sn.delete('/sandbox/requests');
    const started = Date.now();
    const engine = outboxOnlyEngine(store, repos, client);
    engine.start();
    const ended = (await runsEnded(store, runs)).map((r) => r.finishedAt);
    await engine.stop(5_000);
    const served = (await sn.get('/sandbox/requests')).data as { byApi: Record<string, number> };
    const latencies = ended.map((at) => at - started).sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
    const calls = Object.entries(served.byApi).reduce((sum, [api, n]) => sum + (api === 'awx' ? 0 : n), 0);
    return {
      runs,
      completedPerSecond: ended.length / ((Math.max(...ended) - started) / 1000),
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      callsPerRun: calls / ended.length,
    };
  } finally {
    await client.close();
    await store.close();
  }
}

type Ticket = { sysId: string; number: string };

async function createTickets(sn: ReturnType<typeof axios.create>, count: number): Promise<Ticket[]> {
  const tickets: Ticket[] = [];
  for (let i = 0; i < count; i += 50) {
    const created = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, () =>
        sn.post('/api/now/table/incident', { short_description: 'nginx is down on web-01' }),
      ),
    );
    for (const { data } of created) tickets.push({ sysId: data.result.sys_id, number: data.result.number });
  }
  return tickets;
}

/** Each run writing back, with the two entries its success queues (as the step worker does, in one transaction). */
async function queueWritebacks(store: Store, repos: Repositories, tickets: readonly Ticket[]): Promise<void> {
  const at = Date.now();
  await store.db.transaction().execute(async (trx) => {
    for (const ticket of tickets) {
      const run = { id: randomUUID(), ticket_number: ticket.number };
      await trx
        .insertInto('runs')
        .values({
          ...run,
          rule_id: 'restart-service-when-down',
          rule_version: 'bench',
          table_name: 'incident',
          sys_id: ticket.sysId,
          event_key: `incident:${ticket.sysId}:0`,
          state: 'writing_back',
          context: '{}',
          correlation_id: randomUUID(),
          created_at: at,
          updated_at: at,
          finished_at: null,
          concurrency_key: null,
        })
        .execute();
      const id = randomUUID();
      const marker = `snowline-writeback:${id}`;
      const note = `Snowline rule restart-service-when-down, run ${run.id}: restarted nginx on web-01.\n[${marker}]`;
      await repos.outbox.enqueue(trx, {
        id,
        run_id: run.id,
        table_name: 'incident',
        sys_id: ticket.sysId,
        ticket_number: ticket.number,
        fields: JSON.stringify({ ...RESOLVE, work_notes: note }),
        marker,
        next_at: at,
      });
      const file = { file_name: 'restart-service.log', content_type: 'text/plain', content: JOB_OUTPUT };
      await repos.outbox.enqueue(trx, attachmentEntry(run, 'incident', ticket.sysId, file, at));
    }
  });
}

/** The engine with nothing to dispatch, admit or run: only its outbox loop has work. */
function outboxOnlyEngine(store: Store, repos: Repositories, client: ServiceNowClient) {
  const logger = silentLogger();
  const metrics = createMetrics();
  const owner = 'bench-outbox';
  const leaseMs = 30_000;
  return createEngine({
    repos,
    dispatcher: { dispatchAll: async () => undefined } as unknown as Dispatcher,
    stepWorker: {} as StepWorker,
    admission: { admit: async () => 0 } as unknown as RunAdmission,
    outboxSender: createOutboxSender({
      store,
      repos,
      target: serviceNowWritebackTarget(client, { batch: { enabled: true, maxItems: 50 }, quotaMs: 30_000, logger }),
      logger,
      metrics,
      owner,
      leaseMs,
      retry: { baseDelayMs: 1000, maxDelayMs: 30_000 },
    }),
    writebacks: createWritebackCompletion({ store, repos, logger, metrics }),
    logger,
    metrics,
    owner,
    leaseMs,
    tickMs: 200,
    concurrency: 32,
    outbox: { inFlight: 8, entriesPerDelivery: 50, lingerMs: 100 },
    signals: soleInstanceSignals,
  });
}

/** The runs ended so far, once `count` have (counted every 100 ms, read once at the end; 10 minutes at most). */
export async function runsEnded(store: Store, count: number) {
  const deadline = Date.now() + 10 * 60_000;
  const ended = () => store.db.selectFrom('runs').where('finished_at', 'is not', null);
  for (;;) {
    const row = await ended()
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    if (Number(row?.n ?? 0) >= count || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const rows = await ended().select(['ticket_number', 'state', 'finished_at']).execute();
  return rows.map((r) => ({ ticket: r.ticket_number, state: r.state, finishedAt: Number(r.finished_at) }));
}
