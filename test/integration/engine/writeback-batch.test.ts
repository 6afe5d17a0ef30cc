import { randomUUID } from 'node:crypto';
import { ServiceNowClient } from '../../../connectors/servicenow/client';
import { serviceNowWritebackTarget } from '../../../src/app/writeback-target';
import { attachmentEntry } from '../../../src/engine/job-output';
import { createOutboxSender } from '../../../src/engine/outbox-sender';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import type { SandboxOptions } from '../../../sandbox/server';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { startSandbox, type RunningSandbox } from '../sandbox/sandbox-harness';

/**
 * Write-backs delivered to the sandbox through the real client: a ticket's write-backs due together
 * cost one PATCH, several tickets' PATCHes one Batch API request, and no failure of a batch
 * writes anything twice (docs/servicenow-behaviour.md §6.5).
 */

interface Ticket {
  sysId: string;
  number: string;
}

const RESOLVE = { state: '6', close_code: 'Solution provided', close_notes: 'restarted nginx' };

describe.each(ENGINES)('write-backs coalesced and batched, against the sandbox, on %s', (engine) => {
  let t: TestStore;
  let s: RunningSandbox;
  let client: ServiceNowClient;
  /** The batch quota the client assumes; the same as the sandbox's. */
  let quotaMs: number;

  async function start(options: Partial<SandboxOptions> = {}, clientTimeoutMs = 10_000) {
    quotaMs = options.batchTimeLimitMs ?? 30_000;
    s = await startSandbox(options);
    client = new ServiceNowClient({
      url: s.url,
      auth: { type: 'basic', username: 'admin', password: 'admin' },
      timeoutMs: clientTimeoutMs,
    });
  }

  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(async () => {
    await client.close();
    await s.sandbox.close();
    await t.close();
  });

  const sender = (batch = true) =>
    createOutboxSender({
      store: t.store,
      repos: t.repos,
      target: serviceNowWritebackTarget(client, {
        batch: { enabled: batch, maxItems: 50 },
        quotaMs,
        logger: silentLogger(),
      }),
      logger: silentLogger(),
      metrics: createMetrics(),
      owner: 'w1',
      leaseMs: 10_000,
      retry: { baseDelayMs: 10, maxDelayMs: 10 },
      random: () => 0,
    });

  async function newTicket(): Promise<Ticket> {
    const { data } = await s.snow.post('/api/now/table/incident', { short_description: 'nginx is down on web-01' });
    return { sysId: data.result.sys_id, number: data.result.number };
  }

  /** One write-back as a run queues it: fields and/or a work note tagged with its marker. */
  async function enqueue(ticket: Ticket, runId: string, fields: Record<string, string>, note?: string) {
    const id = randomUUID();
    const marker = `snowline-writeback:${id}`;
    const withNote = note === undefined ? fields : { ...fields, work_notes: `${note}\n[${marker}]` };
    await t.repos.outbox.enqueue(t.store.db, {
      id,
      run_id: runId,
      table_name: 'incident',
      sys_id: ticket.sysId,
      ticket_number: ticket.number,
      fields: JSON.stringify(withNote),
      marker,
      next_at: Date.now(),
    });
  }

  /** Claims and delivers, as the engine does, until nothing is left to send (retries included). */
  async function deliverAll(batch = true): Promise<void> {
    const delivery = sender(batch);
    const giveUpAt = Date.now() + 10_000;
    while (Date.now() < giveUpAt) {
      const due = await t.repos.outbox.claimDue('w1', Date.now(), 10_000, 100);
      await delivery.deliver(due);
      const open = await t.store.db
        .selectFrom('outbox')
        .select('id')
        .where('state', 'in', ['pending', 'sending'])
        .execute();
      if (open.length === 0) return;
      await new Promise((r) => setTimeout(r, 30));
    }
    throw new Error('write-backs still open after 10 s');
  }

  const requestsServed = async () =>
    (await s.snow.get('/sandbox/requests')).data as {
      total: number;
      byApi: Record<string, number>;
      batchItems: number;
    };
  const resetRequestCount = () => s.snow.delete('/sandbox/requests');

  async function workNotes(ticket: Ticket): Promise<string[]> {
    const { data } = await s.snow.get('/api/now/table/sys_journal_field', {
      params: { sysparm_query: `element_id=${ticket.sysId}^element=work_notes` },
    });
    return (data.result as Array<{ value: string }>).map((n) => n.value);
  }

  async function fieldsOf(ticket: Ticket) {
    const { data } = await s.snow.get(`/api/now/table/incident/${ticket.sysId}`, {
      params: { sysparm_fields: 'state,close_code,close_notes' },
    });
    return data.result as Record<string, string>;
  }

  const outboxStates = async () =>
    (await t.store.db.selectFrom('outbox').select(['state', 'sys_id', 'last_error']).execute()).map((r) => r.state);

  /** A ticket whose job output is queued for upload, at an instance that holds uploads `latencyMs` before it runs them. */
  async function uploadHeldByTheInstance(latencyMs: number) {
    const ticket = await newTicket();
    const file = { file_name: 'restart-service.log', content_type: 'text/plain', content: 'job output\n' };
    const run = { id: 'run-1', ticket_number: ticket.number };
    await t.repos.outbox.enqueue(t.store.db, attachmentEntry(run, 'incident', ticket.sysId, file, Date.now()));
    await s.snow.put('/sandbox/faults/servicenow', { latencyMs, methods: ['POST'], pathIncludes: '/attachment/' });
    return { ticket, file };
  }

  async function attachmentsOf(ticket: Ticket): Promise<unknown[]> {
    const { data } = await s.snow.get('/api/now/attachment', {
      params: { sysparm_query: `table_sys_id=${ticket.sysId}` },
    });
    return data.result as unknown[];
  }

  it("sends a run's write-backs to one ticket as one PATCH: fields merged, notes in one journal entry", async () => {
    await start();
    const ticket = await newTicket();
    await enqueue(ticket, 'run-1', RESOLVE);
    await enqueue(ticket, 'run-1', {}, 'Run run-1 restarted nginx on web-01.');
    await enqueue(ticket, 'run-1', {}, 'Controller job 42 output attached.');
    await resetRequestCount();

    await deliverAll();

    expect(await requestsServed()).toMatchObject({ total: 1, byApi: { table: 1 }, batchItems: 0 });
    expect(await fieldsOf(ticket)).toEqual(RESOLVE);
    const notes = await workNotes(ticket);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/restarted nginx on web-01\.[\s\S]*Controller job 42 output attached\./);
    expect(await outboxStates()).toEqual(['sent', 'sent', 'sent']);
  });

  it("sends several tickets' PATCHes and their attachment lookups as one batch, then the uploads as one more", async () => {
    await start();
    const tickets = [await newTicket(), await newTicket(), await newTicket()];
    for (const [i, ticket] of tickets.entries()) {
      await enqueue(ticket, `run-${i}`, RESOLVE, `Run run-${i} restarted nginx.`);
      const file = { file_name: 'restart-service.log', content_type: 'text/plain', content: `job ${i} output\n` };
      const run = { id: `run-${i}`, ticket_number: ticket.number };
      await t.repos.outbox.enqueue(t.store.db, attachmentEntry(run, 'incident', ticket.sysId, file, Date.now()));
    }
    await resetRequestCount();

    await deliverAll();

    // Three PATCHes and three lookups in the first batch, three uploads in the second.
    expect(await requestsServed()).toMatchObject({ total: 2, byApi: { batch: 2 }, batchItems: 9 });
    for (const ticket of tickets) {
      expect(await fieldsOf(ticket)).toEqual(RESOLVE);
      expect(await workNotes(ticket)).toHaveLength(1);
      const { data } = await s.snow.get('/api/now/attachment', {
        params: { sysparm_query: `table_sys_id=${ticket.sysId}` },
      });
      expect(data.result.map((a: { file_name: string }) => a.file_name)).toEqual(['restart-service.log']);
    }
  });

  it('sends items a batch left unserviced again, and each lands once', async () => {
    // Each PATCH takes 100 ms and the batch quota is 50 ms: every batch runs its first item only.
    await start({
      batchTimeLimitMs: 50,
      faults: { servicenow: { latencyMs: 100, methods: ['PATCH'], pathIncludes: '/table/incident/' } },
    });
    const tickets = [await newTicket(), await newTicket(), await newTicket()];
    for (const [i, ticket] of tickets.entries()) await enqueue(ticket, `run-${i}`, {}, `Run run-${i} done.`);
    await resetRequestCount();

    await deliverAll();

    // Batch of three (one run), batch of two (one run), the last alone as a PATCH.
    expect(await requestsServed()).toMatchObject({ total: 3, byApi: { batch: 2, table: 1 }, batchItems: 2 });
    for (const ticket of tickets) expect(await workNotes(ticket)).toHaveLength(1);
    const attempts = await t.store.db.selectFrom('outbox').select('attempts').execute();
    expect(attempts.map((a) => a.attempts)).toEqual([1, 1, 1]);
  });

  it('keeps two write-backs that set one field to different values in order: two PATCHes, the later last', async () => {
    await start();
    const ticket = await newTicket();
    await enqueue(ticket, 'run-1', { state: '2' }, 'Run run-1 started work.');
    await enqueue(ticket, 'run-1', RESOLVE, 'Run run-1 resolved it.');
    await resetRequestCount();

    await deliverAll();

    expect(await requestsServed()).toMatchObject({ total: 2, byApi: { table: 2 } });
    expect(await fieldsOf(ticket)).toEqual(RESOLVE);
    expect(await workNotes(ticket)).toHaveLength(2);
  });

  it('a batch whose answer is lost after it ran writes nothing twice: the journals are read first', async () => {
    // The batch runs, but its answer comes after the client gave up (a timeout after sending).
    await start(
      { batchTimeLimitMs: 1_000, faults: { servicenow: { slowNext: 1, slowMs: 2_000, pathIncludes: '/batch' } } },
      500,
    );
    const tickets = [await newTicket(), await newTicket()];
    for (const [i, ticket] of tickets.entries()) await enqueue(ticket, `run-${i}`, RESOLVE, `Run run-${i} done.`);

    await deliverAll();

    for (const ticket of tickets) {
      expect(await workNotes(ticket)).toHaveLength(1);
      expect(await fieldsOf(ticket)).toEqual(RESOLVE);
    }
    expect(await outboxStates()).toEqual(['sent', 'sent']);
  });

  it('a batch whose answer is lost while its items still run writes nothing twice: journals are read after its quota', async () => {
    // Each item takes 150 ms on the instance, so three run for 450 ms; the client gives up after 100 ms.
    await start(
      {
        batchTimeLimitMs: 600,
        faults: { servicenow: { latencyMs: 150, methods: ['PATCH'], pathIncludes: '/table/incident/' } },
      },
      100,
    );
    const tickets = [await newTicket(), await newTicket(), await newTicket()];
    for (const [i, ticket] of tickets.entries()) await enqueue(ticket, `run-${i}`, RESOLVE, `Run run-${i} done.`);

    await deliverAll();

    for (const ticket of tickets) {
      expect(await workNotes(ticket)).toHaveLength(1);
      expect(await fieldsOf(ticket)).toEqual(RESOLVE);
    }
    expect(await outboxStates()).toEqual(['sent', 'sent', 'sent']);
  });

  it('an upload carried out after the client gave up is looked for only after the quota: attached once', async () => {
    // The instance queues the upload for 1.5 s, so it lands after the client's 500 ms timeout; the quota is 1.5 s.
    await start({ batchTimeLimitMs: 1_500 }, 500);
    const { ticket } = await uploadHeldByTheInstance(1_500);

    await deliverAll(false);
    await new Promise((r) => setTimeout(r, 1_600)); // an upload still queued at the instance lands

    expect(await attachmentsOf(ticket)).toHaveLength(1);
    const [entry] = await t.store.db.selectFrom('outbox').select(['state', 'last_error']).execute();
    expect(entry).toEqual({ state: 'sent', last_error: expect.stringMatching(/may still be carried out/) });
  });

  it('an upload a killed process left queued at the instance is looked for by its successor only once settled: attached once', async () => {
    // The instance queues uploads for 1.2 s; the killed process's client gave up after 500 ms; the quota is 1.5 s.
    await start({ batchTimeLimitMs: 1_500 }, 500);
    const settleMs = 2_000; // a third past the quota
    const { ticket, file } = await uploadHeldByTheInstance(1_200);

    // What the killed process did before it died: claimed the upload, held until it would settle, marked it sent, sent it.
    const [entry] = await t.repos.outbox.claimDue('killed', Date.now(), settleMs, 1);
    await t.repos.outbox.markSending([entry!.id], 'killed');
    const bytes = Buffer.from(file.content, 'utf8');
    await expect(client.attach('incident', ticket.sysId, file.file_name, file.content_type, bytes)).rejects.toThrow();

    await t.repos.leases.voidAbandoned(); // its successor starts
    await deliverAll(false);
    await new Promise((r) => setTimeout(r, 1_300)); // an upload still queued at the instance lands

    expect(await attachmentsOf(ticket)).toHaveLength(1);
    expect(await outboxStates()).toEqual(['sent']);
  });

  it("a ticket's item refused with a 4xx fails that ticket's write-backs alone", async () => {
    await start();
    const [good, refused, alsoGood] = [await newTicket(), await newTicket(), await newTicket()];
    await enqueue(good, 'run-1', RESOLVE, 'Run run-1 done.');
    // Resolving without a close code: the data policy refuses it (403, docs/servicenow-behaviour.md §3.2).
    await enqueue(refused, 'run-2', { state: '6' }, 'Run run-2 done.');
    await enqueue(alsoGood, 'run-3', RESOLVE, 'Run run-3 done.');
    await resetRequestCount();

    await deliverAll();

    expect(await requestsServed()).toMatchObject({ total: 1, byApi: { batch: 1 }, batchItems: 3 });
    expect(await fieldsOf(good)).toEqual(RESOLVE);
    expect(await fieldsOf(alsoGood)).toEqual(RESOLVE);
    expect((await fieldsOf(refused)).state).toBe('1');
    expect(await workNotes(refused)).toEqual([]);
    const failed = await t.store.db.selectFrom('outbox').selectAll().where('state', '=', 'failed').execute();
    expect(failed.map((e) => e.sys_id)).toEqual([refused.sysId]);
    expect(failed[0]!.last_error).toMatch(/data policy/i);
  });
});
