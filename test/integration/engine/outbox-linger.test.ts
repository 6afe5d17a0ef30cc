import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEngine } from '../../../src/engine/engine';
import { createOutboxSender } from '../../../src/engine/outbox-sender';
import type { WritebackCall, WritebackTarget } from '../../../src/engine/writeback-target';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import type { WorkKind, WorkSignals } from '../../../src/store/work-signals';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

/**
 * The outbox's linger, as Nagle's algorithm: a write-back due while nothing is being delivered goes
 * at once; write-backs falling due while a delivery is under way wait to share one request.
 */
describe.each(ENGINES)('outbox linger on %s', (engine) => {
  let t: TestStore;
  let stop: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(async () => {
    await stop?.();
    await t.close();
  });

  /** A ServiceNow whose PATCHes take `patchMs`; records each request's calls and when it was sent. */
  function slowInstance(patchMs: number) {
    const requests: { at: number; tickets: string[] }[] = [];
    const patch = async () => {
      await sleep(patchMs);
      return { modCount: 1 };
    };
    const send = async (calls: readonly WritebackCall[]) => {
      requests.push({ at: Date.now(), tickets: calls.map((c) => c.sysId) });
      await sleep(patchMs);
      return calls.map(() => ({ kind: 'done' as const, modCount: 1 }));
    };
    const target: WritebackTarget = {
      patch: async (_table, sysId) => {
        requests.push({ at: Date.now(), tickets: [sysId] });
        return patch();
      },
      journalContains: async () => false,
      classify: () => 'permanent',
      batch: { maxItems: 50, send },
    };
    return { target, requests };
  }

  /** The engine's loops on the real clock, polling only every 10 s: what happens sooner was not polling. */
  function startEngine(target: WritebackTarget) {
    let wakeOutbox: (kind: WorkKind) => void = () => undefined;
    const signals: WorkSignals = {
      notify: () => undefined,
      onSignal: (handler) => (wakeOutbox = handler),
      close: async () => undefined,
    };
    const logger = silentLogger();
    const metrics = createMetrics();
    const deps = { store: t.store, repos: t.repos, logger, metrics };
    const idle = async () => undefined as never;
    const sender = createOutboxSender({
      ...deps,
      target,
      owner: 'w1',
      leaseMs: 30_000,
      retry: { baseDelayMs: 100, maxDelayMs: 1000 },
    });
    const loops = createEngine({
      ...deps,
      dispatcher: { dispatchAll: idle } as never,
      stepWorker: { process: idle } as never,
      admission: { admit: async () => 0 } as never,
      writebacks: { complete: async () => undefined, sweep: async () => undefined } as never,
      outboxSender: sender,
      owner: 'w1',
      leaseMs: 30_000,
      tickMs: 10_000,
      concurrency: 4,
      outbox: { inFlight: 4, entriesPerDelivery: 50, lingerMs: 5_000 },
      signals,
    });
    loops.start();
    stop = () => loops.stop(5_000);
    return { wake: () => wakeOutbox('outbox') };
  }

  async function enqueue(sysId: string) {
    const id = randomUUID();
    await t.repos.outbox.enqueue(t.store.db, {
      id,
      run_id: `run-${sysId}`,
      table_name: 'incident',
      sys_id: sysId,
      ticket_number: `INC-${sysId}`,
      fields: JSON.stringify({ work_notes: `done [${id}]` }),
      marker: `[${id}]`,
      next_at: Date.now(),
    });
  }

  it('sends a lone write-back at once, not after the linger', async () => {
    const { target, requests } = slowInstance(0);
    const queuedAt = Date.now();
    await enqueue('ticket-a');
    startEngine(target);
    while (requests.length === 0 && Date.now() - queuedAt < 8_000) await sleep(20);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.at - queuedAt).toBeLessThan(2_000);
  });

  it('holds write-backs due while a delivery is under way, and sends them together when it ends', async () => {
    const { target, requests } = slowInstance(1_000);
    await enqueue('ticket-a');
    const { wake } = startEngine(target);
    while (requests.length === 0) await sleep(20);
    // Two more fall due while ticket-a's PATCH is under way; each wakes the loop as a run's end would.
    await enqueue('ticket-b');
    wake();
    await sleep(100);
    await enqueue('ticket-c');
    wake();
    while (requests.length < 2) await sleep(20);
    await sleep(300);
    expect(requests.map((r) => r.tickets.sort())).toEqual([['ticket-a'], ['ticket-b', 'ticket-c']]);
  });
});
