import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import type { Run, Step } from '../../../src/store/run.repository';

const newEvent = (key: string, seqHint = 0) => ({
  event_key: key,
  table_name: 'incident',
  sys_id: 'a'.repeat(32),
  number: 'INC0010001',
  mod_count: seqHint,
  kind: 'inserted',
  source: 'webhook',
  payload: '{}',
  correlation_id: 'c-1',
  received_at: 1000,
});

const run = (id: string, ticket = 'INC0010001'): Run => ({
  id,
  rule_id: 'restart-service-when-down',
  rule_version: 'v1',
  table_name: 'incident',
  sys_id: 'a'.repeat(32),
  ticket_number: ticket,
  event_key: `incident:${id}:0`,
  state: 'running',
  context: '{}',
  correlation_id: 'c',
  created_at: 1000,
  updated_at: 1000,
  finished_at: null,
  concurrency_key: null,
});

const step = (id: string, runId: string, idx: number, state = 'pending', nextAt = 1000): Step => ({
  id,
  run_id: runId,
  idx,
  name: `s${idx}`,
  connector: 'ansible',
  action: 'launch_job_template',
  params: '{}',
  state,
  attempt: 0,
  idempotency_key: `${runId}:s${idx}`,
  external_ref: null,
  result: null,
  error: null,
  next_at: nextAt,
  lease_owner: null,
  lease_until: null,
  started_at: null,
  finished_at: null,
  gates: '[]',
  waiting_for: null,
  stage: idx,
  flow: '{}',
});

describe.each(ENGINES)('store on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(async () => {
    await t.close();
  });

  it('keeps one inbox event per record version and says when a delivery is a duplicate', async () => {
    const first = await t.repos.inbox.append(newEvent('incident:a:0'));
    const again = await t.repos.inbox.append(newEvent('incident:a:0'));
    const next = await t.repos.inbox.append(newEvent('incident:a:1', 1));
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(next.duplicate).toBe(false);
    const pending = await t.repos.inbox.pending(10);
    expect(pending.map((e) => e.event_key)).toEqual(['incident:a:0', 'incident:a:1']);
    await t.repos.inbox.settle(pending[0]!.seq, 'done', null, 2000);
    expect((await t.repos.inbox.pending(10)).map((e) => e.event_key)).toEqual(['incident:a:1']);
    expect(await t.repos.inbox.olderVersionSeen('incident', 'a'.repeat(32), 1)).toBe(true);
    expect(await t.repos.inbox.olderVersionSeen('incident', 'a'.repeat(32), 0)).toBe(false);
    // Per record, the newest version dispatched: version 1 is still pending, a record never seen is absent.
    const records = [
      { table: 'incident', sysId: 'a'.repeat(32) },
      { table: 'incident', sysId: 'b'.repeat(32) },
    ];
    expect(await t.repos.inbox.newestHandled(records)).toEqual(new Map([[`incident|${'a'.repeat(32)}`, 0]]));
    await t.repos.inbox.settle(pending[1]!.seq, 'done', null, 2000);
    expect(await t.repos.inbox.newestHandled(records)).toEqual(new Map([[`incident|${'a'.repeat(32)}`, 1]]));
  });

  it('refuses a second run of one rule for one event', async () => {
    await t.store.db.transaction().execute((trx) => t.repos.runs.create(trx, run('r1'), [step('s1', 'r1', 0)]));
    await expect(
      t.store.db
        .transaction()
        .execute((trx) => t.repos.runs.create(trx, { ...run('r2'), event_key: 'incident:r1:0' }, [])),
    ).rejects.toMatchObject({ code: 'run.exists' });
    expect((await t.repos.runs.list({ ticket: 'INC0010001', limit: 10 })).map((r) => r.id)).toEqual(['r1']);
  });

  it('holds the runs a batch creates until its work ends, then writes them with their steps; a second run of a rule for an event still fails the lot', async () => {
    await t.store.db.transaction().execute((trx) =>
      t.repos.runs.creatingAtEnd(trx, async () => {
        await t.repos.runs.create(trx, run('r1'), [step('s1', 'r1', 0), step('s2', 'r1', 1)]);
        await t.repos.runs.create(trx, run('r2', 'INC0010002'), [step('s3', 'r2', 0)]);
        // Held: not written yet.
        expect(await trx.selectFrom('runs').select('id').execute()).toEqual([]);
      }),
    );
    expect((await t.repos.runs.get('r1'))?.steps.map((s) => s.id)).toEqual(['s1', 's2']);
    expect((await t.repos.runs.get('r2'))?.steps.map((s) => s.id)).toEqual(['s3']);

    const again = t.store.db.transaction().execute((trx) =>
      t.repos.runs.creatingAtEnd(trx, async () => {
        await t.repos.runs.create(trx, run('r3', 'INC0010003'), [step('s4', 'r3', 0)]);
        await t.repos.runs.create(trx, { ...run('r4'), event_key: 'incident:r1:0' }, []);
      }),
    );
    await expect(again).rejects.toMatchObject({ code: 'run.exists' });
    expect(await t.repos.runs.get('r3')).toBeUndefined();
  });

  it('finds runs by rule, state and creation time, newest first', async () => {
    const at = (id: string, createdAt: number, patch: Partial<Run> = {}) => ({
      ...run(id),
      created_at: createdAt,
      ...patch,
    });
    await t.store.db.transaction().execute(async (trx) => {
      await t.repos.runs.create(trx, at('old', 1000, { state: 'succeeded' }), []);
      await t.repos.runs.create(trx, at('mid', 2000, { state: 'failed' }), []);
      await t.repos.runs.create(
        trx,
        at('new', 3000, { state: 'failed', rule_id: 'clean-up-disk-space-when-full' }),
        [],
      );
    });
    const ids = async (filter: Parameters<TestStore['repos']['runs']['list']>[0]) =>
      (await t.repos.runs.list(filter)).map((r) => r.id);
    expect(await ids({ limit: 10 })).toEqual(['new', 'mid', 'old']);
    expect(await ids({ state: 'failed', limit: 10 })).toEqual(['new', 'mid']);
    expect(await ids({ rule: 'restart-service-when-down', state: 'failed', limit: 10 })).toEqual(['mid']);
    expect(await ids({ since: 2000, until: 3000, limit: 10 })).toEqual(['mid']);
  });

  it('lets only one worker claim a due step, and hands it to another when the lease expires', async () => {
    await t.store.db
      .transaction()
      .execute((trx) => t.repos.runs.create(trx, run('r1'), [step('s1', 'r1', 0), step('s2', 'r1', 1, 'blocked')]));
    const a = await t.repos.runs.claimDueSteps('worker-a', 1000, 500, 10);
    const b = await t.repos.runs.claimDueSteps('worker-b', 1100, 500, 10);
    expect(a.map((s) => s.id)).toEqual(['s1']);
    expect(b).toEqual([]);
    expect(await t.repos.runs.saveStep(t.store.db, 's1', 'worker-b', { state: 'waiting' })).toBe(false);
    const later = await t.repos.runs.claimDueSteps('worker-b', 1600, 500, 10);
    expect(later.map((s) => s.id)).toEqual(['s1']);
    expect(await t.repos.runs.saveStep(t.store.db, 's1', 'worker-a', { state: 'succeeded' })).toBe(false);
  });

  it('saves several leased steps at once, each only while its lease is held, in the order asked', async () => {
    const steps = ['s1', 's2', 's3', 's4'].map((id, i) => step(id, 'r1', i));
    await t.store.db.transaction().execute((trx) => t.repos.runs.create(trx, run('r1'), steps));
    await t.repos.runs.claimDueSteps('worker-a', 1000, 500, 3); // s1–s3
    await t.repos.runs.claimDueSteps('worker-b', 1000, 500, 3); // s4
    const saved = await t.repos.runs.saveSteps('worker-a', [
      { id: 's1', patch: { state: 'starting', attempt: 1, started_at: 1100, waiting_for: null } },
      { id: 's2', patch: { state: 'starting', attempt: 2, started_at: 1200, waiting_for: null, result: undefined } },
      { id: 's4', patch: { state: 'starting', attempt: 1, started_at: 1300, waiting_for: null } },
      {
        id: 's3',
        patch: { state: 'waiting', external_ref: '42', next_at: Number.MAX_SAFE_INTEGER, lease_owner: null },
      },
    ]);
    expect(saved).toEqual([true, true, false, true]);
    const rows = await t.store.db.selectFrom('steps').selectAll().orderBy('id').execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get('s1')).toMatchObject({ state: 'starting', attempt: 1, started_at: 1100, lease_owner: 'worker-a' });
    expect(byId.get('s2')).toMatchObject({ state: 'starting', attempt: 2, started_at: 1200, result: null });
    expect(byId.get('s3')).toMatchObject({
      state: 'waiting',
      external_ref: '42',
      next_at: Number.MAX_SAFE_INTEGER,
      lease_owner: null,
    });
    expect(byId.get('s4')).toMatchObject({ state: 'pending', attempt: 0, lease_owner: 'worker-b' });

    // One step saved twice in one batch: the later save wins, as when they are made one by one.
    const twice = await t.repos.runs.saveSteps('worker-a', [
      { id: 's1', patch: { state: 'waiting', next_at: 2000 } },
      { id: 's2', patch: { state: 'waiting', next_at: 2000 } },
      { id: 's1', patch: { state: 'succeeded', next_at: 3000 } },
    ]);
    expect(twice).toEqual([true, true, true]);
    expect(
      await t.store.db.selectFrom('steps').select(['id', 'state', 'next_at']).orderBy('id').limit(2).execute(),
    ).toEqual([
      { id: 's1', state: 'succeeded', next_at: 3000 },
      { id: 's2', state: 'waiting', next_at: 2000 },
    ]);
  });

  it('claims due steps earliest first, no more of a connector than its free slots, leaving the rest due', async () => {
    const due = (id: string, connector: string, nextAt: number) => ({
      ...step(id, 'r1', nextAt, 'pending', nextAt),
      connector,
    });
    const steps = [
      due('a1', 'ansible', 100),
      due('h1', 'http', 150),
      due('a2', 'ansible', 200),
      due('a3', 'ansible', 300),
      due('h2', 'http', 350),
      due('c1', 'cmdb', 400),
      due('later', 'cmdb', 5000),
    ];
    await t.store.db.transaction().execute((trx) => t.repos.runs.create(trx, run('r1'), steps));
    const ids = (claimed: Step[]) => claimed.map((s) => s.id).sort();

    // ansible has two slots free, http none; cmdb is not limited. The read takes at most `limit`.
    const first = await t.repos.runs.claimDueSteps('w1', 1000, 500, 10, { ansible: 2, http: 0 });
    expect(ids(first)).toEqual(['a1', 'a2', 'c1']);
    expect(first.every((s) => s.lease_owner === 'w1' && s.lease_until === 1500)).toBe(true);
    // What was left out stays due for the next claim, which takes only `limit` of it.
    expect(ids(await t.repos.runs.claimDueSteps('w2', 1000, 500, 1))).toEqual(['h1']);
    expect(ids(await t.repos.runs.claimDueSteps('w2', 1000, 500, 10))).toEqual(['a3', 'h2']);
    expect(await t.repos.runs.claimDueSteps('w3', 1000, 500, 10)).toEqual([]);
  });

  it('numbers write-backs in the order they were queued, in one transaction or apart', async () => {
    const entry = (id: string) => ({
      id,
      run_id: 'r1',
      table_name: 'incident',
      sys_id: 'a'.repeat(32),
      ticket_number: 'INC0010001',
      fields: '{}',
      marker: `m-${id}`,
      next_at: 1000,
    });
    await t.store.db.transaction().execute(async (trx) => {
      for (const id of ['w3', 'w1', 'w2']) await t.repos.outbox.enqueue(trx, entry(id));
    });
    await t.repos.outbox.enqueue(t.store.db, entry('w0'));
    const rows = await t.store.db.selectFrom('outbox').select(['id', 'seq']).orderBy('seq').execute();
    expect(rows.map((r) => [r.id, Number(r.seq)])).toEqual([
      ['w3', 1],
      ['w1', 2],
      ['w2', 3],
      ['w0', 4],
    ]);
  });

  it('does not hand out a step before its next attempt is due', async () => {
    await t.store.db
      .transaction()
      .execute((trx) => t.repos.runs.create(trx, run('r1'), [step('s1', 'r1', 0, 'pending', 5000)]));
    expect(await t.repos.runs.claimDueSteps('w', 4999, 500, 10)).toEqual([]);
    expect((await t.repos.runs.claimDueSteps('w', 5000, 500, 10)).length).toBe(1);
  });

  it('chains audit entries so that an edited or deleted entry is detected', async () => {
    for (const kind of ['event.received', 'rule.matched', 'run.succeeded']) {
      await t.repos.audit.append(
        t.store.db,
        { kind, actor: 'snowline', subject: 'INC0010001', detail: { kind } },
        1000,
      );
    }
    expect(await t.repos.audit.verify()).toEqual({ ok: true, entries: 3 });
    await t.store.db.updateTable('audit_log').set({ subject: 'INC0099999' }).where('seq', '=', 2).execute();
    expect(await t.repos.audit.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: 'its content was altered' });
    await t.store.db.updateTable('audit_log').set({ subject: 'INC0010001' }).where('seq', '=', 2).execute();
    await t.store.db.deleteFrom('audit_log').where('seq', '=', 2).execute();
    expect(await t.repos.audit.verify()).toMatchObject({ ok: false, brokenAt: 2, reason: 'the entry was deleted' });
  });

  it('remembers watermarks across reopening the store', async () => {
    await t.repos.watermarks.set('poll:incident', '2026-01-01 10:00:00', 1);
    await t.repos.watermarks.set('poll:incident', '2026-01-01 10:05:00', 2);
    const { openStore, repositories } = await import('../../../src/store');
    const again = await openStore(t.options);
    expect(await repositories(again).watermarks.get('poll:incident')).toBe('2026-01-01 10:05:00');
    await again.close();
  });
});
