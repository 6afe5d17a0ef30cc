import { randomUUID } from 'node:crypto';
import type { ResolvedRule, TemplateValue } from '../rules/mapping.schema';
import type { Run, Step } from '../store/run.repository';
import { stepFlowIfReadable, type RunContext, type StepFlow } from './run-context';
import type { Join, StepState, StepView } from './run-state-machine';

/**
 * A run's step rows: adjacent steps of one parallel group share a stage, the first stage is due at
 * once (or, for a queued run, when the admission starts the run), and each step with a `compensate` action gets a compensation step that waits (blocked)
 * until a later failure needs it.
 */
export function buildSteps(
  definition: Pick<ResolvedRule, 'steps' | 'gates'>,
  runId: string,
  at: number,
  queued = false,
): Step[] {
  const row = (
    idx: number,
    stage: number,
    name: string,
    use: string,
    params: Record<string, TemplateValue>,
    gates: string[],
    flow: StepFlow,
  ): Step => {
    const [connector = '', action = ''] = use.split('.');
    return {
      id: randomUUID(),
      run_id: runId,
      idx,
      name,
      connector,
      action,
      params: JSON.stringify(params),
      state: stage === 0 && !queued ? 'pending' : 'blocked',
      attempt: 0,
      idempotency_key: `${runId}:${name}`,
      external_ref: null,
      result: null,
      error: null,
      next_at: at,
      lease_owner: null,
      lease_until: null,
      started_at: null,
      finished_at: null,
      gates: JSON.stringify(gates),
      waiting_for: null,
      stage,
      flow: JSON.stringify(flow),
    };
  };
  let stage = -1;
  const main = definition.steps.map((step, idx) => {
    if (step.parallel === undefined || step.parallel !== definition.steps[idx - 1]?.parallel) stage += 1;
    const join = step.parallel
      ? joinOf(definition.steps.find((s) => s.parallel === step.parallel && s.join !== undefined)?.join)
      : undefined;
    const flow: StepFlow = {
      ...(join ? { join } : {}),
      ...(step.when ? { when: step.when } : {}),
      ...(step.timeout_seconds ? { timeoutSeconds: step.timeout_seconds } : {}),
      ...(step.retry ? { retry: retryOf(step.retry) } : {}),
      ...(step.requires ? { requires: step.requires } : {}),
      ...(step.privileged && step.credential ? { credential: step.credential } : {}),
    };
    return row(
      idx,
      stage,
      step.name,
      step.use,
      step.with,
      stage === 0 ? [...definition.gates, ...step.gates] : step.gates,
      flow,
    );
  });
  const undo = definition.steps.flatMap((step) => (step.compensate ? [{ step, compensate: step.compensate }] : []));
  const compensations = undo.map(({ step, compensate }, i) =>
    row(main.length + i, COMPENSATION_STAGE, `undo_${step.name}`, compensate.use, compensate.with, [], {
      compensates: step.name,
    }),
  );
  return [...main, ...compensations];
}

/** Compensation steps sit outside the stage order: the state machine schedules them by the step they undo. */
export const COMPENSATION_STAGE = 1_000_000;

function retryOf(retry: NonNullable<ResolvedRule['steps'][number]['retry']>): StepFlow['retry'] {
  return {
    maxAttempts: retry.max_attempts,
    ...(retry.base_delay_ms ? { baseDelayMs: retry.base_delay_ms } : {}),
    ...(retry.max_delay_ms ? { maxDelayMs: retry.max_delay_ms } : {}),
  };
}

function joinOf(join: 'all' | 'first' | number | undefined): Join {
  if (join === 'first') return { kind: 'first' };
  if (typeof join === 'number') return { kind: 'at_least', n: join };
  return { kind: 'all' };
}

/** The state machine's view of a run's steps: stage, join and which step a compensation undoes. */
export function stepViews(steps: readonly Step[]): StepView[] {
  const idxByName = new Map(steps.map((s) => [s.name, s.idx]));
  return steps.map((s) => {
    // A step whose flow is corrupt was failed for it by the worker: the run moves on as around a plain step.
    const flow = stepFlowIfReadable(s) ?? {};
    return {
      idx: s.idx,
      state: s.state as StepState,
      stage: s.stage,
      join: flow.join,
      compensates: flow.compensates === undefined ? undefined : idxByName.get(flow.compensates),
    };
  });
}

/**
 * A run started from another (a change's rollback, a rule's failure hook): on the same rule version,
 * ticket and correlation, running at once.
 */
export function followUpRun(
  parent: Run,
  run: { id: string; eventKey: string; context: RunContext; concurrencyKey: string | null; at: number },
): Run {
  return {
    id: run.id,
    rule_id: parent.rule_id,
    rule_version: parent.rule_version,
    table_name: parent.table_name,
    sys_id: parent.sys_id,
    ticket_number: parent.ticket_number,
    event_key: run.eventKey,
    state: 'running',
    context: JSON.stringify(run.context),
    correlation_id: parent.correlation_id,
    created_at: run.at,
    updated_at: run.at,
    finished_at: null,
    concurrency_key: run.concurrencyKey,
  };
}
