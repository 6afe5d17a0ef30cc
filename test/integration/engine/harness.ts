import { z } from 'zod';
import type { ActionHandler } from '../../../connectors/connector';
import { connectorSet } from '../../../src/engine/connector-set';
import { createDispatcher } from '../../../src/engine/dispatcher';
import { createCircuitBreakers, type BreakerSettings } from '../../../src/engine/circuit-breakers';
import { createGateRegistry, manualApprovalGate, type Gate, type ServiceNowReader } from '../../../src/engine/gates';
import { createOutboxSender, type WritebackTarget } from '../../../src/engine/outbox-sender';
import { createRunAdmission } from '../../../src/engine/run-admission';
import { createRunControl } from '../../../src/engine/run-control';
import { createStepWorker, type StepHooks } from '../../../src/engine/step-worker';
import { createWritebackCompletion } from '../../../src/engine/writeback-completion';
import { ConnectorError } from '../../../src/errors';
import type { TicketLookups } from '../../../src/engine/ticket-lookups';
import type { TicketEvent } from '../../../src/engine/event.schema';
import { createIntake } from '../../../src/ingest/intake';
import { silentLogger, type Logger } from '../../../src/observability/logger';
import { createMetrics, type Metrics } from '../../../src/observability/metrics';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import type { MappingCatalog } from '../../../src/rules/mapping-catalog';
import { createPrivilegeBroker } from '../../../src/security/privilege-broker';
import type { CredentialSpec, PrivilegeProvider } from '../../../src/security/privilege';
import type { TestStore } from '../../helpers/stores';

/** launch: a job that finishes at its first check; slow: one that never does; fail: refused at once; undo: a compensation. */
const FAKE_ACTIONS = ['launch', 'slow', 'fail', 'undo'];

/** Mapping steps in these tests use `fake.launch` with `{ host }` and get `{ job }` back. */
export const fakeCatalog: MappingCatalog = {
  fieldExists: (_table, field) =>
    [
      'short_description',
      'state',
      'close_code',
      'active',
      'cmdb_ci',
      'priority',
      'caller_id',
      'caller_id.vip',
      'number',
      'sys_updated_on',
    ].includes(field),
  connectorExists: (c) => c === 'fake',
  action: (c, a) =>
    c === 'fake' && FAKE_ACTIONS.includes(a)
      ? { name: a, description: a, params: z.object({ host: z.string() }), result: z.object({ job: z.number() }) }
      : undefined,
  template: () => undefined,
  withTemplates() {
    return this;
  },
};

/** A backend that launches "jobs" and remembers them by idempotency key (and what was undone or cancelled). */
export function fakeBackend() {
  const jobs = new Map<string, { id: number; host: string }>();
  const undone: string[] = [];
  const cancelled: string[] = [];
  const slow: ActionHandler<{ host: string }, { job: number }> = {
    async start(params, ctx) {
      jobs.set(ctx.idempotencyKey, { id: jobs.size + 1, host: params.host });
      return { status: 'pending', ref: `slow-${jobs.size}`, checkAfterMs: 60_000 };
    },
    async check(ref) {
      return { status: 'pending', ref, checkAfterMs: 60_000 };
    },
    async cancel(ref) {
      cancelled.push(ref);
    },
  };
  const fail: ActionHandler<{ host: string }, { job: number }> = {
    async start(params) {
      throw new ConnectorError('fake', 'permanent', 'job_failed', `deploy to ${params.host} failed`);
    },
  };
  const undo: ActionHandler<{ host: string }, { job: number }> = {
    async start(params, ctx) {
      undone.push(`${ctx.stepName}:${params.host}`);
      return { status: 'done', result: { job: 0 } };
    },
  };
  const handler: ActionHandler<{ host: string }, { job: number }> = {
    async start(params, ctx) {
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
  };
  return { jobs, undone, cancelled, handler, slow, fail, undo };
}

/** The ServiceNow side of write-backs: records every PATCH. */
export function fakeInstance() {
  const patches: { sysId: string; fields: Record<string, string> }[] = [];
  let modCount = 0;
  const target: WritebackTarget & { patches: typeof patches } = {
    patches,
    async patch(_table, sysId, fields) {
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

export const incidentEvent = (sysId: string, record: Record<string, string> = {}): TicketEvent => ({
  event: 'inserted',
  table: 'incident',
  sys_id: sysId,
  number: `INC${sysId.slice(0, 7)}`,
  sys_mod_count: 0,
  sys_updated_on: '2026-11-28 09:00:00',
  sys_updated_by: 'abel.tuter',
  changed_fields: [],
  record: { sys_id: sysId, short_description: 'nginx is down on web-01', state: '1', ...record },
});

/**
 * One Snowline instance's engine parts over a test store, with a settable clock. `settle()` runs
 * every loop until nothing is due, jumping the clock over waits up to `horizonMs`.
 */
export interface EngineOptions {
  gates?: Gate[];
  servicenow?: ServiceNowReader;
  owner?: string;
  breakers?: BreakerSettings;
  /** Clock start, epoch ms. */
  start?: number;
  /** engine.maxActiveRuns */
  maxActiveRuns?: number;
  /** How long a failing step is retried (engine.retry.deadlineSeconds); default the step worker's. */
  retryDeadlineMs?: number;
  /** How long a write-back failing for reasons that may pass is retried (the sender's default else). */
  writebackDeadlineMs?: number;
  /** What the dispatcher reads from ServiceNow (dot-walks, work notes); default none. */
  lookups?: TicketLookups;
  /** Where the engine logs; default: nowhere. */
  logger?: Logger;
  /** Lifecycle hooks around settled steps (failure hooks, change management). */
  hooks?: StepHooks;
  /** The metrics the engine counts in; default its own (pass one to share it with change management's events). */
  metrics?: Metrics;
  /** Credential providers for privileged steps (the broker runs on the test clock). */
  privilege?: { providers: Record<string, PrivilegeProvider>; credentials: Record<string, CredentialSpec> };
}

export function buildEngine(t: TestStore, mapping: string, options: EngineOptions = {}) {
  const clock = { now: options.start ?? 1_000_000 };
  const now = () => clock.now;
  const { ruleSet, problems } = buildRuleSet({ 'incident.yaml': mapping }, fakeCatalog);
  if (!ruleSet) throw new Error(`test mapping is invalid: ${JSON.stringify(problems)}`);
  const owner = options.owner ?? 'w1';
  const backend = fakeBackend();
  const instance = fakeInstance();
  const metrics = options.metrics ?? createMetrics();
  const logger = options.logger ?? silentLogger();
  const retry = { baseDelayMs: 100, maxDelayMs: 1000 };
  const deps = { store: t.store, repos: t.repos, logger, metrics, now };
  const connectors = connectorSet({
    fake: {
      descriptor: { classify: () => 'permanent' } as never,
      runtime: {
        actions: { launch: backend.handler, slow: backend.slow, fail: backend.fail, undo: backend.undo },
        health: async () => ({ ok: true }),
      },
    },
  });
  const gates = createGateRegistry([manualApprovalGate(t.repos.approvals), ...(options.gates ?? [])]);
  const intake = createIntake({ inbox: t.repos.inbox, metrics, onAccepted: () => undefined, now });
  const dispatcher = createDispatcher({
    ...deps,
    rules: () => ruleSet,
    integrationUser: 'snowline',
    maxActiveRuns: options.maxActiveRuns,
    lookups: options.lookups,
    eventRetry: { baseDelayMs: 1000, maxDelayMs: 60_000, deadlineMs: 30 * 60_000 },
    random: () => 0,
  });
  const admission = createRunAdmission({
    store: t.store,
    repos: t.repos,
    logger,
    maxActiveRuns: options.maxActiveRuns,
    metrics,
    now,
  });
  const breakers = options.breakers
    ? createCircuitBreakers({ settings: () => options.breakers, classify: connectors.classify, metrics, logger, now })
    : undefined;
  const privilege = options.privilege
    ? createPrivilegeBroker({ ...deps, ...options.privilege, leaseSeconds: 600 })
    : undefined;
  const worker = createStepWorker({
    ...deps,
    connectors,
    owner,
    leaseMs: 10_000,
    retry,
    random: () => 0,
    gates,
    servicenow: options.servicenow,
    gateRecheckMs: 60_000,
    retryDeadlineMs: options.retryDeadlineMs,
    breakers,
    privilege,
    hooks: options.hooks,
  });
  const sender = createOutboxSender({
    store: t.store,
    repos: t.repos,
    target: instance,
    logger,
    metrics,
    owner,
    leaseMs: 10_000,
    retry,
    deadlineMs: options.writebackDeadlineMs,
    now,
    random: () => 0,
  });
  const control = createRunControl({ ...deps, onChange: () => undefined });
  const writebacks = createWritebackCompletion({ store: t.store, repos: t.repos, logger, metrics, now });

  async function settle(horizonMs = 10 * 60_000) {
    const until = clock.now + horizonMs;
    while (clock.now <= until) {
      await dispatcher.dispatchAll(await t.repos.inbox.pending(100, clock.now));
      const admitted = await admission.admit();
      const steps = await t.repos.runs.claimDueSteps(owner, clock.now, 10_000, 100);
      // As the engine does: the claimed batch's runs read at once.
      const runs = await t.repos.runs.getMany([...new Set(steps.map((s) => s.run_id))]);
      for (const s of steps) await worker.process(s, runs.get(s.run_id));
      const entries = await t.repos.outbox.claimDue(owner, clock.now, 10_000, 100);
      for (const e of entries) await sender.send(e);
      for (const runId of new Set(entries.map((e) => e.run_id))) await writebacks.complete(runId);
      if (admitted === 0 && steps.length === 0 && entries.length === 0) clock.now += 15_000;
    }
  }

  async function onlyRun(ticket: string) {
    const runs = await t.repos.runs.list({ ticket, limit: 10 });
    if (runs.length !== 1) throw new Error(`expected one run for ${ticket}, found ${runs.length}`);
    return runs[0]!;
  }

  /** Turns inbox events into runs (and starts the queued ones that may start), and nothing more. */
  async function dispatch() {
    await dispatcher.dispatchAll(await t.repos.inbox.pending(100, clock.now));
    await admission.admit();
  }

  return {
    clock,
    intake,
    backend,
    instance,
    control,
    settle,
    dispatch,
    onlyRun,
    ruleSet,
    metrics,
    breakers,
    admission,
    privilege,
    dispatcher,
  };
}
