import { randomUUID } from 'node:crypto';
import type { StepDefinition } from '../rules/mapping.schema';
import type { Repositories, StoreTransaction } from '../store';
import type { EmitInTransaction } from './run-event-emitter';
import { runRefOf } from './run-events';
import { runContextIfReadable, stepFlowIfReadable, type RunContext } from './run-context';
import { buildSteps, followUpRun } from './run-steps';
import type { SettledStep, StepHooks } from './step-worker';

/**
 * When a run fails, its rule's `on_failure` steps — or, for a rule that gives none, the configured
 * default (`engine.onFailure`) — start as a run of their own, in the transaction that failed the
 * run: durable, retried, rate-limited and breaker-guarded like any step, and started exactly once.
 * That run knows the ticket and params of the failed one, and `failure` (its id, step and error);
 * it has no write-back, and its own failure starts nothing more.
 */
export function failureHooks(deps: { repos: Repositories; defaultSteps: readonly StepDefinition[] }): StepHooks {
  return {
    async afterSettle(trx, settled, emit) {
      if (settled.runState !== 'failed') return;
      const context = runContextIfReadable(settled.run);
      if (!context) return;
      if (context.failureOf) return;
      const steps = context.onFailure ?? deps.defaultSteps;
      if (steps.length === 0) return;
      const eventKey = `${settled.run.event_key}:on_failure:${settled.run.id}`;
      if ((await deps.repos.runs.rulesRunFor(trx, eventKey)).size > 0) return;
      await startFailureRun(trx, emit, deps.repos, settled, context, steps, eventKey);
    },
  };
}

async function startFailureRun(
  trx: StoreTransaction,
  emit: EmitInTransaction,
  repos: Repositories,
  settled: SettledStep,
  context: RunContext,
  steps: readonly StepDefinition[],
  eventKey: string,
): Promise<void> {
  const { run, at } = settled;
  const failed = settled.steps.find(
    (s) => (s.state === 'failed' || s.state === 'refused') && stepFlowIfReadable(s)?.compensates === undefined,
  );
  const id = randomUUID();
  // Only what the steps may read: no write-back, change plan, limits or empty-param stop of the failed run.
  const hookContext: RunContext = {
    ticket: context.ticket,
    params: context.params,
    rule: context.rule,
    writeback: {},
    ...(context.secretParams ? { secretParams: context.secretParams } : {}),
    ...(context.sealedParams ? { sealedParams: context.sealedParams } : {}),
    ...(context.command ? { command: context.command } : {}),
    failureOf: {
      run_id: run.id,
      rule: run.rule_id,
      step: failed?.name ?? settled.step.name,
      error: failed?.error ?? settled.error ?? '',
    },
  };
  await repos.runs.create(
    trx,
    followUpRun(run, { id, eventKey, context: hookContext, concurrencyKey: null, at }),
    buildSteps({ steps: [...steps], gates: [] }, id, at),
  );
  await emit({
    type: 'run.on_failure.started',
    run: runRefOf(run),
    at,
    hookRunId: id,
    steps: steps.map((s) => s.name),
  });
}

/** Several hooks as one, each told in turn (change management's and the failure hooks). */
export function combineHooks(...hooks: Array<StepHooks | undefined>): StepHooks {
  return {
    async afterSettle(trx, settled, emit) {
      for (const hook of hooks) await hook?.afterSettle?.(trx, settled, emit);
    },
  };
}
