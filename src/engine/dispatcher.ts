import { randomUUID } from 'node:crypto';
import type { TicketEvent } from '../ingest/event.schema';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { withCorrelation } from '../observability/context';
import { matchEvent } from '../rules/matcher';
import type { CompiledRule, RuleSet } from '../rules/rule-set';
import { renderValue } from '../rules/template';
import type { RuleDefinition, TemplateValue } from '../rules/mapping.schema';
import type { Repositories, Store } from '../store';
import type { InboxEvent } from '../store/inbox.repository';
import type { Step } from '../store/run.repository';
import type { RunContext, StepFlow } from './run-context';
import type { Join } from './run-state-machine';
import { isOwnWrite } from './own-writes';

export interface DispatcherDeps {
  store: Store;
  repos: Repositories;
  rules: () => RuleSet;
  /** The ServiceNow user Snowline writes as: its updates must not trigger rules again. */
  integrationUser: string;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
}

/**
 * Turns inbox events into runs. For each event, in arrival order: drop it if it is Snowline's own
 * write-back, match the rules of the current version, and create the runs — in one transaction
 * with marking the event processed, so an event yields its runs exactly once.
 */
export function createDispatcher(deps: DispatcherDeps) {
  const now = deps.now ?? Date.now;
  const { repos, store, logger, metrics } = deps;

  async function dispatch(event: InboxEvent): Promise<void> {
    await withCorrelation(event.correlation_id, async () => {
      const payload = JSON.parse(event.payload) as TicketEvent;
      // A record is inserted once: a later version reported as an insert (a poll that saw the record
      // only after it changed) is an update, and must not fire insert rules a second time.
      if (payload.event === 'inserted' && (await repos.inbox.insertSeenBefore(event.table_name, event.sys_id, event.seq))) payload.event = 'updated';
      if (payload.event === 'updated' && (await isOwnWrite(repos.outbox, payload, deps.integrationUser, now()))) {
        await repos.inbox.settle(event.seq, 'dropped', "Snowline's own write-back", now());
        metrics.eventsDispatched.inc({ result: 'own_write' });
        return;
      }
      const ruleSet = deps.rules();
      const { matched } = matchEvent(ruleSet, { table: payload.table, trigger: payload.event, record: payload.record });
      const active = matched.filter((r) => r.definition.mode === 'active');
      await store.db.transaction().execute(async (trx) => {
        for (const rule of active) {
          const { run, steps } = buildRun(rule, ruleSet.version, event, payload);
          await repos.runs.create(trx, run, steps);
          await repos.audit.append(trx, { kind: 'rule.matched', actor: 'snowline', subject: payload.number, detail: { rule: rule.definition.id, ruleVersion: ruleSet.version, runId: run.id, event: event.event_key } }, now());
          metrics.runsStarted.inc({ rule: rule.definition.id });
          logger.info('run started', { runId: run.id, rule: rule.definition.id, ticket: payload.number });
        }
        await repos.runs.wakeGatedSteps(trx, payload.number, now());
        await trx.updateTable('inbox_events').set({ status: 'done', note: active.length ? `runs: ${active.length}` : 'no rule matched', processed_at: now() }).where('seq', '=', event.seq).execute();
      });
      metrics.eventsDispatched.inc({ result: active.length ? 'matched' : 'unmatched' });
    });
  }

  function buildRun(rule: CompiledRule, version: string, event: InboxEvent, payload: TicketEvent) {
    const at = now();
    const runId = randomUUID();
    const definition = rule.definition;
    const ruleInfo = { id: definition.id, description: definition.description, owner: definition.owner, risk: definition.risk, version };
    const params = renderValue(definition.params, { ticket: payload.record, rule: ruleInfo, run: { id: runId } }) as Record<string, TemplateValue>;
    const context: RunContext = { ticket: payload.record, params, rule: ruleInfo, writeback: definition.writeback, ...(definition.escalation ? { escalation: definition.escalation } : {}) };
    const run = {
      id: runId, rule_id: definition.id, rule_version: version, table_name: payload.table, sys_id: payload.sys_id,
      ticket_number: payload.number, event_key: event.event_key, state: 'running', context: JSON.stringify(context),
      correlation_id: event.correlation_id, created_at: at, updated_at: at, finished_at: null,
    };
    return { run, steps: buildSteps(definition, runId, at) };
  }

  return { dispatch };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;

/**
 * A run's step rows: adjacent steps of one parallel group share a stage, the first stage is due at
 * once, and each step with a `compensate` action gets a compensation step that waits (blocked)
 * until a later failure needs it.
 */
export function buildSteps(definition: RuleDefinition, runId: string, at: number): Step[] {
  const row = (idx: number, stage: number, name: string, use: string, params: Record<string, TemplateValue>, gates: string[], flow: StepFlow): Step => {
    const [connector = '', action = ''] = use.split('.');
    return {
      id: randomUUID(), run_id: runId, idx, name, connector, action, params: JSON.stringify(params),
      state: stage === 0 ? 'pending' : 'blocked', attempt: 0, idempotency_key: `${runId}:${name}`, external_ref: null,
      result: null, error: null, next_at: at, lease_owner: null, lease_until: null, started_at: null, finished_at: null,
      gates: JSON.stringify(gates), waiting_for: null, stage, flow: JSON.stringify(flow),
    };
  };
  let stage = -1;
  const main = definition.steps.map((step, idx) => {
    if (step.parallel === undefined || step.parallel !== definition.steps[idx - 1]?.parallel) stage += 1;
    const join = step.parallel ? joinOf(definition.steps.find((s) => s.parallel === step.parallel && s.join !== undefined)?.join) : undefined;
    const flow: StepFlow = { ...(join ? { join } : {}), ...(step.when ? { when: step.when } : {}), ...(step.timeout_seconds ? { timeoutSeconds: step.timeout_seconds } : {}), ...(step.retry ? { retry: retryOf(step.retry) } : {}) };
    return row(idx, stage, step.name, step.use, step.with, stage === 0 ? [...definition.gates, ...step.gates] : step.gates, flow);
  });
  const undo = definition.steps.flatMap((step) => (step.compensate ? [{ step, compensate: step.compensate }] : []));
  const compensations = undo.map(({ step, compensate }, i) => row(main.length + i, COMPENSATION_STAGE, `undo_${step.name}`, compensate.use, compensate.with, [], { compensates: step.name }));
  return [...main, ...compensations];
}

/** Compensation steps sit outside the stage order: the state machine schedules them by the step they undo. */
export const COMPENSATION_STAGE = 1_000_000;

function retryOf(retry: NonNullable<RuleDefinition['steps'][number]['retry']>): StepFlow['retry'] {
  return { maxAttempts: retry.max_attempts, ...(retry.base_delay_ms ? { baseDelayMs: retry.base_delay_ms } : {}), ...(retry.max_delay_ms ? { maxDelayMs: retry.max_delay_ms } : {}) };
}

function joinOf(join: 'all' | 'first' | number | undefined): Join {
  if (join === 'first') return { kind: 'first' };
  if (typeof join === 'number') return { kind: 'at_least', n: join };
  return { kind: 'all' };
}
