import type { ActionHandler } from '../../../connectors/connector';
import { connectorSet } from '../../../src/engine/connector-set';
import { createDispatcher } from '../../../src/engine/dispatcher';
import { createOutboxSender, type WritebackTarget } from '../../../src/engine/outbox-sender';
import { createWritebackCompletion } from '../../../src/engine/writeback-completion';
import { createStepWorker } from '../../../src/engine/step-worker';
import { ConnectorError } from '../../../src/errors';
import { createIntake } from '../../../src/ingest/intake';
import type { TicketEvent } from '../../../src/engine/event.schema';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import type { MappingCatalog } from '../../../src/rules/mapping-catalog';
import { z } from 'zod';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

const MAPPING = `
table: incident
rules:
  - id: restart-service-when-down
    description: Restart a service that is down
    owner: Linux Ops
    risk: low
    on: [inserted]
    condition: short_descriptionLIKEis down on
    params:
      host: "{{ ticket.short_description | capture: 'on ([a-z0-9-]+)' }}"
    steps:
      - name: restart
        use: fake.launch
        with: { host: "{{ params.host }}" }
    writeback:
      success:
        work_note: "rule {{ rule.id }} run {{ run.id }}: job {{ steps.restart.job }} succeeded"
        fields: { state: "6", close_code: Solution provided }
      failure:
        work_note: "rule {{ rule.id }} run {{ run.id }}: failed ({{ error }})"
`;

const catalog: MappingCatalog = {
  fieldExists: (_table, field) => ['short_description', 'state', 'close_code', 'active'].includes(field),
  connectorExists: (c) => c === 'fake',
  action: (c, a) =>
    c === 'fake' && a === 'launch'
      ? {
          name: 'launch',
          description: 'launch',
          params: z.object({ host: z.string() }),
          result: z.object({ job: z.number() }),
        }
      : undefined,
  template: () => undefined,
  withTemplates: () => catalog,
};

/** A backend that launches "jobs", remembers them by idempotency key, and can be told to misbehave. */
function fakeBackend() {
  const jobs = new Map<string, { id: number; host: string }>();
  const backend = {
    jobs,
    failNextStart: undefined as ConnectorError | undefined,
    handler: {
      async start(params: { host: string }, ctx) {
        if (backend.failNextStart) {
          const err = backend.failNextStart;
          backend.failNextStart = undefined;
          throw err;
        }
        const job = { id: jobs.size + 1, host: params.host };
        jobs.set(ctx.idempotencyKey, job);
        return { status: 'pending', ref: String(job.id), checkAfterMs: 0 };
      },
      async check(ref) {
        return { status: 'done', result: { job: Number(ref) } };
      },
      async recover(_params, ctx) {
        const job = jobs.get(ctx.idempotencyKey);
        return job ? String(job.id) : undefined;
      },
    } as ActionHandler<{ host: string }, { job: number }>,
  };
  return backend;
}

function fakeInstance() {
  const patches: { sysId: string; fields: Record<string, string> }[] = [];
  let modCount = 0;
  const target: WritebackTarget & { patches: typeof patches; failNext?: ConnectorError; applyThenFail?: boolean } = {
    patches,
    async patch(_table, sysId, fields) {
      if (target.failNext) {
        const err = target.failNext;
        target.failNext = undefined;
        if (target.applyThenFail) patches.push({ sysId, fields });
        throw err;
      }
      patches.push({ sysId, fields });
      return { modCount: ++modCount };
    },
    async journalContains(_table, sysId, marker) {
      return patches.some((p) => p.sysId === sysId && (p.fields.work_notes ?? '').includes(marker));
    },
    classify: (err) => (err instanceof ConnectorError ? err.failure : 'permanent'),
  };
  return target;
}

const event = (sysId: string, overrides: Partial<TicketEvent> = {}): TicketEvent => ({
  event: 'inserted',
  table: 'incident',
  sys_id: sysId,
  number: `INC${sysId.slice(0, 7)}`,
  sys_mod_count: 0,
  sys_updated_on: '2026-11-28 09:00:00',
  sys_updated_by: 'abel.tuter',
  changed_fields: [],
  record: { sys_id: sysId, short_description: 'nginx is down on web-01', state: '1' },
  ...overrides,
});

describe.each(ENGINES)('engine on %s', (engine) => {
  let t: TestStore;
  let now = 1_000_000;
  const clock = () => now;
  const retry = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 };

  beforeEach(async () => {
    t = await openTestStore(engine);
    now = 1_000_000;
  });
  afterEach(() => t.close());

  function build(owner = 'w1') {
    const { ruleSet } = buildRuleSet({ 'incident.yaml': MAPPING }, catalog);
    const backend = fakeBackend();
    const instance = fakeInstance();
    const metrics = createMetrics();
    const logger = silentLogger();
    const deps = { store: t.store, repos: t.repos, logger, metrics, now: clock };
    const connectors = connectorSet({
      fake: {
        descriptor: { classify: () => 'permanent' } as never,
        runtime: { actions: { launch: backend.handler }, health: async () => ({ ok: true }) },
      },
    });
    const intake = createIntake({ inbox: t.repos.inbox, metrics, onAccepted: () => undefined, now: clock });
    const dispatcher = createDispatcher({ ...deps, rules: () => ruleSet!, integrationUser: 'snowline' });
    const worker = createStepWorker({ ...deps, connectors, owner, leaseMs: 10_000, retry, random: () => 0 });
    const writebacks = createWritebackCompletion(deps);
    const sender = createOutboxSender({
      store: t.store,
      repos: t.repos,
      target: instance,
      logger,
      metrics,
      owner,
      leaseMs: 10_000,
      retry,
      now: clock,
      random: () => 0,
    });
    /** Runs every loop until nothing is due, advancing the clock over waits. */
    async function settle() {
      for (let round = 0; round < 50; round++) {
        for (const e of await t.repos.inbox.pending(100)) await dispatcher.dispatch(e);
        const steps = await t.repos.runs.claimDueSteps(owner, now, 10_000, 100);
        for (const s of steps) await worker.process(s);
        const entries = await t.repos.outbox.claimDue(owner, now, 10_000, 100);
        for (const e of entries) await sender.send(e);
        for (const e of entries) await writebacks.complete(e.run_id);
        if (steps.length === 0 && entries.length === 0) now += 2000;
      }
    }
    return { intake, backend, instance, settle, ruleSet: ruleSet! };
  }

  it('runs a matched rule to its write-back: one PATCH with the fields and a work note naming rule, run and outcome', async () => {
    const { intake, backend, instance, settle } = build();
    await intake.accept(event('a'.repeat(32)), 'webhook');
    await settle();
    const [run] = await t.repos.runs.list({ ticket: 'INCaaaaaaa', limit: 10 });
    expect(run).toMatchObject({ state: 'succeeded', rule_id: 'restart-service-when-down' });
    expect([...backend.jobs.values()]).toEqual([{ id: 1, host: 'web-01' }]);
    expect(instance.patches).toHaveLength(1);
    expect(instance.patches[0]!.fields).toMatchObject({ state: '6', close_code: 'Solution provided' });
    expect(instance.patches[0]!.fields.work_notes).toContain(
      `rule restart-service-when-down run ${run!.id}: job 1 succeeded`,
    );
    expect((await t.repos.audit.verify()).ok).toBe(true);
  });

  it('does not launch twice when the worker died between launching and recording the job', async () => {
    const { intake, backend, settle } = build();
    await intake.accept(event('b'.repeat(32)), 'webhook');
    // The launch reaches the backend, then the connection drops: the outcome is ambiguous.
    backend.handler.start = (async (params: { host: string }, ctx: { idempotencyKey: string }) => {
      backend.jobs.set(ctx.idempotencyKey, { id: backend.jobs.size + 1, host: params.host });
      throw new ConnectorError('fake', 'ambiguous', 'connection_reset', 'connection reset after sending the launch');
    }) as never;
    await settle();
    expect(backend.jobs.size).toBe(1);
    const [run] = await t.repos.runs.list({ ticket: 'INCbbbbbbb', limit: 10 });
    expect(run!.state).toBe('succeeded');
  });

  it('retries a transient failure and honours Retry-After', async () => {
    const { intake, backend, settle } = build();
    backend.failNextStart = new ConnectorError('fake', 'transient', 'rate_limited', '429', { retryAfterMs: 30_000 });
    await intake.accept(event('c'.repeat(32)), 'webhook');
    const startedAt = now;
    await settle();
    const [run] = await t.repos.runs.list({ ticket: 'INCccccccc', limit: 10 });
    expect(run!.state).toBe('succeeded');
    expect(run!.finished_at! - startedAt).toBeGreaterThanOrEqual(30_000);
    expect(run!.steps[0]!.attempt).toBe(2);
  });

  it('fails the run on a permanent error and writes the failure note', async () => {
    const { intake, backend, instance, settle } = build();
    backend.failNextStart = new ConnectorError('fake', 'permanent', 'job_failed', 'job 9 failed');
    await intake.accept(event('d'.repeat(32)), 'webhook');
    await settle();
    const [run] = await t.repos.runs.list({ ticket: 'INCddddddd', limit: 10 });
    expect(run!.state).toBe('failed');
    expect(instance.patches[0]!.fields.work_notes).toContain('failed (job 9 failed)');
  });

  it('stops a run whose required param renders empty before any action, with a note naming the param', async () => {
    const { intake, backend, instance, settle } = build();
    await intake.accept(
      event('9'.repeat(32), {
        record: { sys_id: '9'.repeat(32), short_description: 'nginx is down on !!!', state: '1' },
      }),
      'webhook',
    );
    await settle();
    const [run] = await t.repos.runs.list({ ticket: 'INC9999999', limit: 10 });
    expect(run!.state).toBe('failed');
    expect(backend.jobs.size).toBe(0);
    expect(instance.patches[0]!.fields.work_notes).toContain(
      'required parameter host rendered empty from the ticket; nothing was run',
    );
  });

  it('never repeats a work note after an ambiguous write-back failure: it checks the journal first', async () => {
    const { intake, instance, settle } = build();
    instance.failNext = new ConnectorError('servicenow', 'ambiguous', 'ambiguous', 'socket hang up after sending');
    instance.applyThenFail = true;
    await intake.accept(event('e'.repeat(32)), 'webhook');
    await settle();
    expect(instance.patches).toHaveLength(1);
    const entry = await t.store.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
    expect(entry.state).toBe('sent');
  });

  it('re-sends a write-back whose ambiguous failure did not reach the ticket', async () => {
    const { intake, instance, settle } = build();
    instance.failNext = new ConnectorError('servicenow', 'ambiguous', 'ambiguous', 'timeout after sending');
    await intake.accept(event('f'.repeat(32)), 'webhook');
    await settle();
    expect(instance.patches).toHaveLength(1);
  });

  it('drops its own write-back when ServiceNow reports it as an update, so no second run starts', async () => {
    const { intake, settle } = build();
    const sysId = '1'.repeat(32);
    await intake.accept(event(sysId), 'webhook');
    await settle();
    // The instance reports our PATCH (mod count 1) as an update, then the poller sees it as if inserted.
    await intake.accept(
      event(sysId, {
        event: 'updated',
        sys_mod_count: 1,
        sys_updated_by: 'snowline',
        changed_fields: ['state', 'close_code', 'work_notes'],
      }),
      'webhook',
    );
    await intake.accept(event(sysId, { event: 'inserted', sys_mod_count: 1 }), 'poll');
    await settle();
    const runs = await t.repos.runs.list({ ticket: 'INC1111111', limit: 10 });
    expect(runs).toHaveLength(1);
    const statuses = await t.store.db.selectFrom('inbox_events').select(['status', 'note']).orderBy('seq').execute();
    expect(statuses.map((s) => s.status)).toEqual(['done', 'dropped']);
  });

  it('lets a second worker take over a step whose worker died, once the lease expires', async () => {
    const first = build('w1');
    await first.intake.accept(event('2'.repeat(32)), 'webhook');
    for (const e of await t.repos.inbox.pending(10))
      await createDispatcher({
        store: t.store,
        repos: t.repos,
        rules: () => first.ruleSet,
        integrationUser: 'x',
        logger: silentLogger(),
        metrics: createMetrics(),
        now: clock,
      }).dispatch(e);
    await t.repos.runs.claimDueSteps('w1', now, 10_000, 10); // w1 claims, then dies
    const second = build('w2');
    await second.settle();
    const [run] = await t.repos.runs.list({ ticket: 'INC2222222', limit: 10 });
    expect(run!.state).toBe('succeeded');
    expect(second.backend.jobs.size).toBe(1);
  });
});
