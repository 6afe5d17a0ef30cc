import { setTimeout as sleep } from 'node:timers/promises';
import Bottleneck from 'bottleneck';
import type { RequestLimiter } from '../../../connectors/failover-limiter';
import { ServiceNowClient } from '../../../connectors/servicenow/client';
import { classifyError } from '../../../connectors/servicenow/errors';
import { createOutboxSender, type WritebackTarget } from '../../../src/engine/outbox-sender';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import type { OutboxEntry } from '../../../src/store/outbox.repository';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { startStub, type Stub } from '../connectors/stub-server';
import { fakeInstance } from './harness';

const SYS_ID = 'c'.repeat(32);
const MARKER = '[snowline run-1]';

function workNoteEntry(now: number): OutboxEntry {
  return {
    id: 'wb-1',
    run_id: 'run-1',
    table_name: 'incident',
    sys_id: SYS_ID,
    ticket_number: 'INC0010001',
    fields: JSON.stringify({ state: '6', work_notes: `Run succeeded ${MARKER}` }),
    marker: MARKER,
    state: 'pending',
    attempts: 0,
    next_at: now,
    lease_owner: null,
    lease_until: null,
    last_error: null,
    result_mod_count: null,
    created_at: now,
    sent_at: null,
    attachment: null,
    operation: null,
    seq: null,
  };
}

describe.each(ENGINES)('write-back delivery under faults on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  const senderOf = (owner: string, target: WritebackTarget, leaseMs: number, now: () => number = Date.now) =>
    createOutboxSender({
      store: t.store,
      repos: t.repos,
      target,
      logger: silentLogger(),
      metrics: createMetrics(),
      owner,
      leaseMs,
      retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 10 },
      now,
      random: () => 0,
    });
  const state = () => t.store.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();

  it('entries being delivered stay leased until their writes are settled on the instance, even if their sender dies', async () => {
    const instance = fakeInstance();
    let sentAt = 0;
    // The batch never answers: as far as anyone can tell, the instance that sent it is gone.
    const batch = {
      maxItems: 50,
      send: () => ((sentAt = Date.now()), new Promise<never>(() => undefined)),
    };
    const other = { ...workNoteEntry(Date.now()), id: 'wb-2', sys_id: 'd'.repeat(32), marker: '[snowline run-2]' };
    await t.repos.outbox.enqueue(t.store.db, workNoteEntry(Date.now()));
    await t.repos.outbox.enqueue(t.store.db, other);
    const claimed = await t.repos.outbox.claimDue('a', Date.now(), 300, 10);
    void senderOf('a', { ...instance, batch, settleMs: 5_000 }, 300).deliver(claimed);
    while (sentAt === 0) await sleep(10);

    // Another instance claims them only after the batch quota could have cut it, not when a 300 ms lease ran out.
    const leases = await t.store.db.selectFrom('outbox').select('lease_until').execute();
    for (const { lease_until } of leases) expect(lease_until! - sentAt).toBeGreaterThanOrEqual(4_500);
  });

  it('a PATCH slower than the lease is not sent again by a second instance: the lease is renewed while it is in flight', async () => {
    const instance = fakeInstance();
    // The instance takes 2.5 s to answer, the lease is 600 ms: without renewal it runs out three times over.
    const slow: WritebackTarget = {
      ...instance,
      patch: async (table, sysId, fields) => {
        await sleep(2_500);
        return instance.patch(table, sysId, fields);
      },
    };
    const leaseMs = 600;
    await t.repos.outbox.enqueue(t.store.db, workNoteEntry(Date.now()));
    const [claimed] = await t.repos.outbox.claimDue('a', Date.now(), leaseMs, 10);
    const first = senderOf('a', slow, leaseMs).send(claimed!);
    const second = senderOf('b', slow, leaseMs);
    const secondSends: Promise<void>[] = [];
    for (let i = 0; i < 8; i++) {
      await sleep(250);
      for (const e of await t.repos.outbox.claimDue('b', Date.now(), leaseMs, 10)) secondSends.push(second.send(e));
    }
    await first;
    await Promise.all(secondSends);
    expect(secondSends).toHaveLength(0);
    expect(instance.patches).toHaveLength(1);
    expect(await state()).toMatchObject({ state: 'sent', lease_owner: null });
  });

  describe('a limiter that fails before sending (its Redis restarted)', () => {
    let stub: Stub;
    let client: ServiceNowClient;
    beforeEach(async () => {
      stub = await startStub();
      stub.on('PATCH', `/api/now/table/incident/${SYS_ID}`, {
        body: { result: { sys_id: SYS_ID, sys_mod_count: '4' } },
      });
      stub.on('GET', '/api/now/table/sys_journal_field', { body: { result: [] } });
    });
    afterEach(async () => {
      await client.close();
      await stub.close();
    });

    /** Sends one work-note write-back through `client` until it settles; what the outbox went through. */
    async function deliverThrough(c: ServiceNowClient) {
      const target: WritebackTarget = {
        patch: async (table, sysId, fields) => {
          const record = await c.update(table, sysId, fields, { fields: ['sys_id', 'sys_mod_count'] });
          return { modCount: Number(record.sys_mod_count) };
        },
        journalContains: async () => false,
        classify: classifyError,
      };
      let now = 1_000_000;
      const sender = senderOf('a', target, 10_000, () => now);
      await t.repos.outbox.enqueue(t.store.db, workNoteEntry(now));
      const seen: string[] = [];
      for (let round = 0; round < 12; round++) {
        for (const e of await t.repos.outbox.claimDue('a', now, 10_000, 10)) await sender.send(e);
        const row = await state();
        seen.push(row.state);
        if (row.state === 'sent' || row.state === 'failed') break;
        now += 1_000;
      }
      return { state: await state(), seen, patches: stub.calls('PATCH', `/api/now/table/incident/${SYS_ID}`).length };
    }

    it("a 429 storm longer than a write-back's attempts does not drop it: refused requests were never attempts", async () => {
      const refused = {
        status: 429,
        headers: { 'Retry-After': '0' },
        body: { error: { message: 'Rate limit exceeded' } },
      };
      stub.on('PATCH', `/api/now/table/incident/${SYS_ID}`, [
        ...Array<typeof refused>(8).fill(refused),
        { body: { result: { sys_id: SYS_ID, sys_mod_count: '4' } } },
      ]);
      client = new ServiceNowClient(
        { url: stub.url, auth: { type: 'basic', username: 'u', password: 'p' }, retry: { maxAttempts: 2 } },
        { sleep: async () => undefined },
      );
      const { state: finalState, patches } = await deliverThrough(client);
      expect(finalState).toMatchObject({ state: 'sent', result_mod_count: 4 });
      expect(patches).toBe(9);
    });

    it('is retried as plainly retryable — never taken for an ambiguous send — and the write-back lands once', async () => {
      // What a Redis-backed bottleneck raises when Redis 7 has lost the limiter's state.
      let failures = 6;
      const local = new Bottleneck({ maxConcurrent: 1 });
      const limiter: RequestLimiter = {
        schedule: (fn) =>
          failures-- > 0
            ? Promise.reject(Object.assign(new Error('ERR SETTINGS_KEY_NOT_FOUND'), { name: 'ReplyError' }))
            : local.schedule(fn),
        disconnect: () => local.disconnect(),
      };
      client = new ServiceNowClient(
        { url: stub.url, auth: { type: 'basic', username: 'u', password: 'p' }, retry: { maxAttempts: 1 } },
        { limiter },
      );
      const { state: finalState, seen, patches } = await deliverThrough(client);
      expect(seen).not.toContain('sending');
      expect(finalState).toMatchObject({ state: 'sent', attempts: 1, result_mod_count: 4 });
      expect(patches).toBe(1);
    });
  });
});
