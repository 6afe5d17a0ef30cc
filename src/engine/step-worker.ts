import { APPROVAL_GATE } from '../rules/catalog';
import { randomUUID } from 'node:crypto';
import type { ActionContext, ActionHandler, ActionProgress } from '../../connectors/connector';
import { HourlyLimitError, SnowlineError } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { observeFirstStep, observeRunEnd, recordRunSpan } from '../observability/sli';
import { runSpanIdOf, traceIdOf } from '../observability/trace-ids';
import { inSpan } from '../observability/tracing';
import { withCorrelation } from '../observability/context';
import { CorruptRowError, inTransaction, type Repositories, type Store, type StoreTransaction } from '../store';
import { groupCommit } from '../store/group-commit';
import { stepGates, type Run, type Step } from '../store/run.repository';
import type { ConnectorSet } from './connector-set';
import { isOpenCircuit, type CircuitBreakers } from './circuit-breakers';
import { evaluateGates, type GateRegistry, type ServiceNowReader } from './gates';
import {
  conditionHolds,
  renderStepParams,
  renderWriteback,
  runContextIfReadable,
  runContextOf,
  stepFlow,
  stepResults,
  writebackFor,
  type RunContext,
  type StepFlow,
} from './run-context';
import { stepViews } from './run-steps';
import { attachmentEntry, DEFAULT_ATTACHMENT_MAX_BYTES, outputAttachment, type OutboxAttachment } from './job-output';
import { keepLease } from './lease-heartbeat';
import { evaluateRequirements, recordFieldsOf, type RequirementVerdict } from './step-requirements';
import type { StepRequirement } from '../rules/mapping.schema';
import {
  decideAfterFailure,
  decideRun,
  writebackOutcome,
  type RetryPolicy,
  type RunState,
  type StepState,
} from './run-state-machine';
import { placeholderFields } from '../rules/template';
import { maskSecrets, registerSecretParams } from './secret-params';
import type { PrivilegeBroker } from '../security/privilege-broker';
import { openSecretParams, paramsForDisplay, processSecretBox } from './run-secrets';
import type { SecretBox } from '../security/secret-box';

export interface StepWorkerDeps {
  store: Store;
  repos: Repositories;
  connectors: ConnectorSet;
  logger: Logger;
  metrics: Metrics;
  owner: string;
  leaseMs: number;
  /** Backoff delays (attempts are bounded by `retryDeadlineMs`, or a step's own `retry.max_attempts`). */
  retry: Omit<RetryPolicy, 'maxAttempts'>;
  /** How long after its first attempt a step failing for reasons that may pass is retried; default 15 min. */
  retryDeadlineMs?: number;
  /** Gates steps may name; a step naming an unregistered gate is refused. */
  gates?: GateRegistry;
  /** What gates read ServiceNow through. */
  servicenow?: ServiceNowReader;
  /** Circuit breakers per connector; without them every call goes straight to the backend. */
  breakers?: CircuitBreakers;
  /** When a waiting gate gave no time: how long until it is asked again. Default 30 s. */
  gateRecheckMs?: number;
  now?: () => number;
  random?: () => number;
  /** Largest job output attached to a ticket (`attach_output`), in bytes; the start of a longer one is cut. Default 5 MiB. */
  attachmentMaxBytes?: number;
  /** Optional lifecycle around settled steps (change management plugs in here). */
  hooks?: StepHooks;
  /** Checks out credentials of privileged steps; without it a privileged step fails. */
  privilege?: PrivilegeBroker;
  /** Opens the secret params sealed in run contexts; default: the process's own key (as the dispatcher's). */
  secretBox?: SecretBox;
}

/** What a step hook learns when a step settles, inside the transaction that settles it. */
export interface SettledStep {
  run: Run;
  step: Step;
  /** `refused`: a gate said no; the step never started. `skipped`: its `when` condition was false. */
  outcome: 'succeeded' | 'failed' | 'refused' | 'skipped';
  error?: string;
  /** The run's state after this step, and all its steps as saved. */
  runState: RunState;
  steps: Step[];
  at: number;
}

export interface StepHooks {
  /** Called in the settling transaction; may enqueue write-backs or create runs with `trx`. */
  afterSettle?(trx: StoreTransaction, settled: SettledStep): Promise<void>;
}

/**
 * Executes claimed steps: start, recover after a crash, check on backend work, retry by the
 * connector's classification, and when a step settles, advance its run through the pure state
 * machine. A run that ends enqueues its write-back in the same transaction.
 */
export function createStepWorker(deps: StepWorkerDeps) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const { repos, store, logger, metrics } = deps;
  const secretBox = deps.secretBox ?? processSecretBox();
  const retryDeadlineMs = deps.retryDeadlineMs ?? DEFAULT_RETRY_DEADLINE_MS;

  /** The run's context with its secret params opened, in memory only. */
  function contextOf(run: Run): RunContext {
    return openSecretParams(runContextOf(run), secretBox);
  }

  /** Executes one claimed step; `claimedRun` is its run as read with the claimed batch (read here when not given). */
  async function process(step: Step, claimedRun?: Run & { steps: Step[] }): Promise<void> {
    const run = claimedRun ?? (await repos.runs.get(step.run_id));
    if (!run) return;
    const heartbeat = keepLease(
      () => repos.runs.extendLease(step.id, deps.owner, now() + deps.leaseMs),
      deps.leaseMs,
      logger,
      {
        stepId: step.id,
      },
    );
    try {
      const span = {
        correlationId: run.correlation_id,
        parentSpanId: runSpanIdOf(run.id),
        attributes: { 'snowline.rule': run.rule_id, 'snowline.step': step.name, 'snowline.ticket': run.ticket_number },
      };
      await withCorrelation(run.correlation_id, () =>
        inSpan(`step ${step.name}`, span, () => processWithin(run, step)),
      );
    } finally {
      heartbeat.stop();
    }
  }

  async function processWithin(run: Run & { steps: Step[] }, step: Step): Promise<void> {
    // A paused run's steps are parked until resume makes them due again.
    if (run.state === 'paused')
      return void (await save(step, { next_at: PARKED_UNTIL, lease_owner: null, lease_until: null }));
    const handler = deps.connectors.handler(step.connector, step.action);
    let context: RunContext;
    try {
      context = contextOf(run);
    } catch (err) {
      // A corrupt context (CorruptRowError) ends the step for good, as sealed params that cannot be opened do.
      const error =
        err instanceof CorruptRowError
          ? err.message
          : `secret params of the run cannot be opened: ${(err as Error).message}`;
      return settle(run, step, 'failed', { error });
    }
    registerSecretParams(context);
    if (!handler)
      return settle(run, step, 'failed', {
        error: `connector action ${step.connector}.${step.action} is not configured`,
      });
    const flow = stepFlow(step);
    if (step.state === 'pending' && step.attempt === 0 && flow.when !== undefined) {
      let holds: boolean;
      try {
        holds = conditionHolds(flow.when, context, run.id, run.steps);
      } catch (err) {
        return settle(run, step, 'failed', { error: `when: ${(err as Error).message}` });
      }
      if (!holds) return settle(run, step, 'skipped', {});
    }
    if (
      step.state === 'pending' &&
      !(await inSpan('gate', { correlationId: run.correlation_id, parentSpanId: runSpanIdOf(run.id) }, () =>
        passGates(run, step, context),
      ))
    )
      return;
    if (
      step.state === 'pending' &&
      step.attempt === 0 &&
      flow.requires &&
      !(await meetsRequirements(run, step, flow.requires))
    )
      return;
    const deadline =
      flow.timeoutSeconds !== undefined && step.started_at !== null
        ? step.started_at + flow.timeoutSeconds * 1000
        : undefined;
    if (deadline !== undefined && now() >= deadline) return timeOut(run, step, handler, flow.timeoutSeconds!);
    const circuitBlockedUntil = deps.breakers?.blockedUntil(step.connector);
    if (circuitBlockedUntil !== undefined) return waitForCircuit(run, step, circuitBlockedUntil);
    const credential = flow.credential === undefined ? undefined : await credentialFor(run, step, flow);
    if (credential === null) return;
    // The grant is for this attempt: kept only while backend work it started is still running.
    let keepGrant = false;
    const abort = new AbortController();
    // The backend call itself is cut off at the step's deadline (counted from now for a first start).
    const limitMs =
      deadline !== undefined
        ? deadline - now()
        : flow.timeoutSeconds !== undefined
          ? flow.timeoutSeconds * 1000
          : undefined;
    const timer =
      limitMs !== undefined
        ? setTimeout(
            () => abort.abort(new SnowlineError('engine.step_timeout', `step ${step.name} timed out`)),
            limitMs,
          )
        : undefined;
    timer?.unref();
    const ctx = actionContext(run, step, abort.signal);
    let attempt = step.attempt;
    try {
      const params = renderStepParams(step, context, run.id, run.steps, credential ? { credential } : {});
      const progress = await advance(handler, step, params, ctx, () => {
        if (step.idx === 0 && step.started_at === null && attempt === 0) observeFirstStep(metrics, run, now());
        attempt += 1;
        return save(step, { state: 'starting', attempt, started_at: step.started_at ?? now(), waiting_for: null });
      });
      if (!progress) return;
      if (progress.status === 'done') return settle(run, step, 'succeeded', { result: progress.result });
      const startedAt = step.started_at ?? now();
      const checkAt = Math.min(
        now() + progress.checkAfterMs,
        flow.timeoutSeconds !== undefined ? startedAt + flow.timeoutSeconds * 1000 : Infinity,
      );
      keepGrant = true;
      await save(step, {
        state: 'waiting',
        external_ref: progress.ref,
        next_at: checkAt,
        lease_owner: null,
        lease_until: null,
        attempt,
      });
    } catch (err) {
      if (err instanceof HourlyLimitError) return waitForHourlyBudget(step, err);
      if (abort.signal.aborted) return timeOut(run, { ...step, attempt }, handler, flow.timeoutSeconds!);
      // Failures that opened (or re-opened) the circuit are the backend's outage, not this step's:
      // they spend no attempt, so a long outage cannot exhaust a step's retries.
      const circuitOpenUntil = deps.breakers?.blockedUntil(step.connector);
      if (
        isOpenCircuit(err) ||
        (circuitOpenUntil !== undefined && deps.connectors.classify(step.connector, err) !== 'permanent')
      ) {
        return waitForCircuit(run, { ...step, attempt }, circuitOpenUntil ?? now() + 1000);
      }
      await failAttempt(run, { ...step, attempt }, err);
    } finally {
      clearTimeout(timer);
      if (credential && credential !== WITHHELD && !keepGrant) await releaseGrants(step, 'attempt ended');
    }
  }

  /**
   * A privileged step's credential for this attempt, checked out only once its approval is on
   * record (validation demands the approval gate; this is the check at the point of use). null =
   * no attempt now (the step was refused or its checkout failed and was handled).
   * While the step waits on backend work it started, the backend already holds the credential:
   * checking on it takes no second grant, and its params show every credential field as withheld.
   */
  async function credentialFor(
    run: Run & { steps: Step[] },
    step: Step,
    flow: StepFlow,
  ): Promise<Record<string, string> | typeof WITHHELD | null> {
    if (step.state === 'waiting' && step.external_ref) return WITHHELD;
    const approval = await repos.approvals.find(run.id, step.name);
    if (approval?.decision !== 'approved') {
      await settle(run, step, 'refused', {
        error: `privileged step ${step.name} has no recorded approval; its credential was not checked out`,
      });
      return null;
    }
    if (!deps.privilege) {
      await settle(run, step, 'failed', {
        error: `privileged step ${step.name}: no credential provider is configured (privilege.providers)`,
      });
      return null;
    }
    try {
      return await deps.privilege.grant({
        run,
        step,
        credential: flow.credential!,
        approvedBy: approval.actor,
        ttlSeconds: flow.timeoutSeconds,
      });
    } catch (err) {
      await failAttempt(run, step, err);
      return null;
    }
  }

  /**
   * The connector's hourly budget for the step's endpoint is spent, and nothing was sent: the step
   * goes back to how it was claimed (no attempt spent, its retry deadline untouched) and waits,
   * unclaimed, until the budget refills.
   */
  async function waitForHourlyBudget(claimed: Step, limit: HourlyLimitError): Promise<void> {
    if (claimed.waiting_for !== limit.message)
      logger.info('step waits for its connector’s hourly budget', {
        runId: claimed.run_id,
        step: claimed.name,
        reason: limit.message,
      });
    await save(claimed, {
      state: claimed.state,
      attempt: claimed.attempt,
      started_at: claimed.started_at,
      waiting_for: limit.message,
      next_at: Math.max(limit.nextSlotAt, now() + 1000),
      lease_owner: null,
      lease_until: null,
    });
  }

  async function releaseGrants(step: Step, reason: string): Promise<void> {
    await deps.privilege
      ?.releaseStep(step.id, reason)
      .catch((err: Error) =>
        logger.warn('privileged credential release failed; the sweep retries', { step: step.name, error: err.message }),
      );
  }

  /**
   * The backend's circuit is open: the step waits (no attempt spent) until it may be tried again.
   * A step that has started gives up once its retry deadline has passed: an outage that outlasts
   * it fails the step, with the reason, rather than holding it forever.
   */
  async function waitForCircuit(run: Run & { steps: Step[] }, step: Step, until: number): Promise<void> {
    if (step.started_at !== null && now() >= step.started_at + retryDeadlineMs)
      return settle(run, step, 'failed', {
        error: `gave up after ${step.attempt} attempt(s) over ${Math.round((now() - step.started_at) / 1000)} s: the circuit of connector ${step.connector} is open (its backend keeps failing)`,
      });
    await save(step, {
      next_at: Math.max(until, now() + 100),
      waiting_for: `circuit open for connector ${step.connector}`,
      lease_owner: null,
      lease_until: null,
      attempt: step.attempt,
    });
  }

  /** A call to the backend, through the connector's circuit breaker when there is one. */
  function guarded<T>(connector: string, call: () => Promise<T>): Promise<T> {
    return deps.breakers ? deps.breakers.call(connector, call) : call();
  }

  /** A step past its timeout fails (not retried); its backend work is asked to stop, best effort. */
  async function timeOut(
    run: Run & { steps: Step[] },
    step: Step,
    handler: ActionHandler,
    seconds: number,
  ): Promise<void> {
    if (step.external_ref && handler.cancel)
      await handler
        .cancel(step.external_ref, actionContext(run, step, new AbortController().signal))
        .catch(() => undefined);
    await settle(run, step, 'failed', { error: `timed out after ${seconds} s` });
  }

  function actionContext(run: Run, step: Step, signal: AbortSignal): ActionContext {
    return {
      idempotencyKey: step.idempotency_key,
      runId: run.id,
      stepName: step.name,
      ticket: { table: run.table_name, sysId: run.sys_id, number: run.ticket_number },
      logger: logger.child({ runId: run.id, step: step.name }),
      signal,
    };
  }

  /**
   * Asks the step's gates before it starts. true = all passed. Otherwise the step is either left
   * pending until the gate is worth asking again (lease released, nothing held in memory) or,
   * when a gate refused, settled as `refused`, which ends the run.
   */
  async function passGates(run: Run & { steps: Step[] }, step: Step, context: RunContext): Promise<boolean> {
    const names = stepGates(step);
    if (names.length === 0) return true;
    const at = now();
    const outcome = await evaluateGates(deps.gates ?? emptyRegistry, names, {
      run: {
        id: run.id,
        ruleId: run.rule_id,
        ruleVersion: run.rule_version,
        table: run.table_name,
        sysId: run.sys_id,
        ticketNumber: run.ticket_number,
      },
      step: { name: step.name, idx: step.idx, use: `${step.connector}.${step.action}` },
      context,
      results: stepResults(run.steps),
      servicenow: deps.servicenow ?? noServiceNow,
      now: at,
    });
    if (outcome.verdict === 'pass') {
      if (step.waiting_for !== null) await save(step, { waiting_for: null });
      return true;
    }
    const reason = `gate ${outcome.gate}: ${outcome.reason}`;
    if (outcome.verdict === 'refuse') {
      await settle(run, step, 'refused', { error: reason });
      return false;
    }
    if (reason !== step.waiting_for) {
      logger.info('step waits for a gate', {
        runId: run.id,
        step: step.name,
        gate: outcome.gate,
        reason: outcome.reason,
      });
      await repos.audit.append(
        store.db,
        {
          kind: 'gate.waiting',
          actor: 'snowline',
          subject: run.ticket_number,
          detail: { runId: run.id, step: step.name, gate: outcome.gate, reason: outcome.reason },
        },
        at,
      );
    }
    const nextAt =
      outcome.until !== undefined && outcome.until > at ? outcome.until : at + (deps.gateRecheckMs ?? 30_000);
    // The ticket hears once that it waits for an approver: when the wait begins, not at each recheck.
    const startsApprovalWait =
      outcome.gate === APPROVAL_GATE && !step.waiting_for?.startsWith(`gate ${APPROVAL_GATE}:`);
    const note = startsApprovalWait
      ? renderWriteback(context, run.id, run.steps, 'waiting_approval', reason)
      : undefined;
    await inTransaction(store, async (trx) => {
      const saved = await repos.runs.saveStep(trx, step.id, deps.owner, {
        waiting_for: reason,
        next_at: nextAt,
        lease_owner: null,
        lease_until: null,
      });
      if (saved && note) await enqueueWriteback(trx, run, maskSecrets(note), at);
    });
    return false;
  }

  /**
   * The step's milestone checks, just before it first starts. Every verdict is recorded (a work
   * note and the audit journal); a check not met refuses the step, in the transaction that notes why.
   * A ticket that cannot be read is a wait, like a gate whose source is down.
   */
  async function meetsRequirements(
    run: Run & { steps: Step[] },
    step: Step,
    requires: StepRequirement[],
  ): Promise<boolean> {
    const at = now();
    let record: Record<string, string> | undefined;
    const fields = recordFieldsOf(requires);
    if (fields.length > 0) {
      try {
        record = rawFields(await (deps.servicenow ?? noServiceNow).getRecord(run.table_name, run.sys_id, fields));
      } catch (err) {
        const reason = `milestone checks: could not read ${run.ticket_number}: ${(err as Error).message}`;
        await save(step, {
          waiting_for: reason,
          next_at: at + (deps.gateRecheckMs ?? 30_000),
          lease_owner: null,
          lease_until: null,
        });
        return false;
      }
    }
    const verdicts = evaluateRequirements(requires, { steps: run.steps, record });
    const unmet = verdicts.find((v) => !v.met);
    const recordVerdicts = async (trx: StoreTransaction) => {
      await repos.audit.append(
        trx,
        {
          kind: unmet ? 'check.refused' : 'check.passed',
          actor: 'snowline',
          subject: run.ticket_number,
          detail: { runId: run.id, step: step.name, verdicts },
        },
        at,
      );
      await enqueueWriteback(
        trx,
        run,
        { fields: {}, workNote: maskSecrets(requirementsNote(run.id, step.name, verdicts)) },
        at,
      );
    };
    if (unmet) {
      await settle(run, step, 'refused', { error: `check "${unmet.check}" not met: ${unmet.why}` }, recordVerdicts);
      return false;
    }
    await inTransaction(store, recordVerdicts);
    return true;
  }

  /** One move of a step: start it, recover it, or check its backend work. undefined = lease lost. */
  async function advance(
    handler: ActionHandler,
    step: Step,
    params: unknown,
    ctx: ActionContext,
    markStarting: () => Promise<boolean>,
  ): Promise<ActionProgress<unknown> | undefined> {
    const state = step.state as StepState;
    if (state === 'waiting' && step.external_ref) {
      if (!handler.check)
        throw new SnowlineError('engine.no_check', `${step.connector}.${step.action} cannot check on its work`);
      return guarded(step.connector, () => handler.check!(step.external_ref!, params, ctx));
    }
    if (state === 'starting' && handler.recover) {
      const ref = await guarded(step.connector, () => handler.recover!(params, ctx));
      if (ref) {
        logger.info('step recovered backend work started before a crash', { runId: step.run_id, step: step.name, ref });
        return { status: 'pending', ref, checkAfterMs: 0 };
      }
    }
    if (!(await markStarting())) return undefined;
    return guarded(step.connector, () => handler.start(params, ctx));
  }

  async function failAttempt(run: Run & { steps: Step[] }, step: Step, err: unknown): Promise<void> {
    const failure = deps.connectors.classify(step.connector, err);
    const message = maskSecrets(err instanceof Error ? err.message : String(err));
    const retryAfterMs = err instanceof SnowlineError ? err.retryAfterMs : undefined;
    const decision = decideAfterFailure(
      { state: step.state as StepState, attempt: step.attempt, hasExternalRef: step.external_ref !== null },
      failure,
      retryPolicyOf(step),
      random(),
      retryAfterMs,
      { now: now(), at: (step.started_at ?? now()) + retryDeadlineMs },
    );
    if (decision.state === 'failed') {
      const error = decision.gaveUp
        ? `gave up after ${step.attempt} attempt(s) over ${Math.round((now() - (step.started_at ?? now())) / 1000)} s: ${message}`
        : message;
      return settle(run, step, 'failed', { error, result: failureOutput(err) });
    }
    metrics.stepRetries.inc({ action: `${step.connector}.${step.action}`, failure });
    logger.warn('step attempt failed; will retry', {
      runId: run.id,
      step: step.name,
      failure,
      error: message,
      delayMs: decision.delayMs,
    });
    await save(step, {
      state: decision.state,
      error: message,
      waiting_for: `retry ${step.attempt + 1} at ${new Date(now() + decision.delayMs).toISOString()} after a ${failure} failure`,
      next_at: now() + decision.delayMs,
      lease_owner: null,
      lease_until: null,
      attempt: step.attempt,
    });
  }

  /**
   * Backoff delays: the step's own, else its connector's, else the engine's. Attempts are capped
   * only by the step's own `retry.max_attempts`; otherwise the deadline bounds them.
   */
  function retryPolicyOf(step: Step): RetryPolicy {
    const own = stepFlow(step).retry;
    const connector = deps.connectors.defaults(step.connector)?.retry;
    return {
      maxAttempts: own?.maxAttempts ?? Infinity,
      baseDelayMs: own?.baseDelayMs ?? connector?.baseDelayMs ?? deps.retry.baseDelayMs,
      maxDelayMs: own?.maxDelayMs ?? connector?.maxDelayMs ?? deps.retry.maxDelayMs,
    };
  }

  // Saves of steps worked on side by side share a commit.
  const saveStep = groupCommit(store, (executor, { id, patch }: { id: string; patch: Partial<Step> }) =>
    repos.runs.saveStep(executor, id, deps.owner, patch),
  );

  function save(step: Step, patch: Partial<Step>): Promise<boolean> {
    return saveStep({ id: step.id, patch });
  }

  /**
   * Ends a step; advances its run; when the run ends, enqueues the write-back — all in one
   * transaction, with whatever `alsoRecord` writes (e.g. the verdict that refused the step).
   */
  async function settle(
    run: Run & { steps: Step[] },
    step: Step,
    outcome: 'succeeded' | 'failed' | 'skipped' | 'refused',
    unmasked: { result?: unknown; error?: string },
    alsoRecord?: (trx: StoreTransaction) => Promise<void>,
  ): Promise<void> {
    const facts = maskSecrets(unmasked);
    const at = now();
    const ended = await inTransaction(store, async (trx) => {
      const saved = await repos.runs.saveStep(trx, step.id, deps.owner, {
        state: outcome,
        result: facts.result === undefined ? null : JSON.stringify(facts.result),
        error: facts.error ?? null,
        finished_at: at,
        waiting_for: null,
        lease_owner: null,
        lease_until: null,
      });
      if (!saved) return undefined;
      await alsoRecord?.(trx);
      let steps = await repos.runs.stepsOf(trx, run.id);
      const decision = decideRun(stepViews(steps));
      const idsOf = (indexes: number[]) => steps.filter((s) => indexes.includes(s.idx)).map((s) => s.id);
      const cancelled = steps.filter((s) => decision.cancel.includes(s.idx));
      await repos.runs.updateSteps(trx, idsOf(decision.unblock), { state: 'pending', next_at: at });
      await repos.runs.updateSteps(trx, idsOf(decision.cancel), {
        state: 'cancelled',
        finished_at: at,
        lease_owner: null,
        lease_until: null,
      });
      await repos.audit.append(
        trx,
        {
          kind: `step.${outcome}`,
          actor: 'snowline',
          subject: run.ticket_number,
          detail: { runId: run.id, step: step.name, error: facts.error },
        },
        at,
      );
      if (deps.hooks?.afterSettle) {
        const settledSteps = await repos.runs.stepsOf(trx, run.id);
        await deps.hooks.afterSettle(trx, {
          run,
          step,
          outcome,
          error: facts.error,
          runState: decision.runState,
          steps: settledSteps,
          at,
        });
      }
      if (decision.runState === 'running') return { runState: decision.runState as RunState, cancelled };
      steps = await repos.runs.stepsOf(trx, run.id);
      const failedStep = steps.find(
        (s) => (s.state === 'failed' || s.state === 'refused') && stepFlow(s).compensates === undefined,
      );
      const context = writebackContext(run);
      const runOutcome =
        decision.runState === 'succeeded' || decision.runState === 'refused' ? decision.runState : 'failed';
      // A run whose context is corrupt has no write-back to render: it ends, its failed step says why.
      if (context) {
        const writeback = maskSecrets(
          renderWriteback(context, run.id, steps, runOutcome, failedStep?.error ?? facts.error ?? ''),
        );
        if (writeback && (writeback.workNote || Object.keys(writeback.fields).length > 0))
          await enqueueWriteback(trx, run, writeback, at);
        const attachment = outputToAttach(context, steps, runOutcome);
        if (attachment)
          await repos.outbox.enqueue(trx, attachmentEntry(run, run.table_name, run.sys_id, attachment, at));
      }
      // Succeeded only once the ticket has heard so: until its write-backs are delivered it is writing back.
      const runState: RunState =
        decision.runState === 'succeeded' ? writebackOutcome(await repos.outbox.ofRun(trx, run.id)) : decision.runState;
      await repos.runs.setRunState(trx, run.id, runState, at, runState !== 'writing_back');
      await repos.audit.append(
        trx,
        {
          kind: `run.${runState}`,
          actor: 'snowline',
          subject: run.ticket_number,
          detail: { runId: run.id, rule: run.rule_id, ruleVersion: run.rule_version },
        },
        at,
      );
      return { runState, cancelled };
    });
    if (ended && ended.runState !== 'running' && ended.runState !== 'writing_back') {
      observeRunEnd(metrics, run, ended.runState, at);
      recordRunSpan(run, ended.runState, at);
    }
    if (stepFlow(step).credential !== undefined) await releaseGrants(step, `step ${outcome}`);
    if (ended) await stopCancelledWork(run, ended.cancelled);
    const seconds = (at - (step.started_at ?? at)) / 1000;
    metrics.stepDuration.observe({ action: `${step.connector}.${step.action}`, outcome }, seconds);
    metrics.ruleStepDuration.observe({ rule: run.rule_id, step: step.name, outcome }, seconds);
    logger.info(`step ${outcome}`, { runId: run.id, step: step.name, error: facts.error });
  }

  /**
   * The context a write-back renders with: secret params opened (the note is masked after), or, when
   * they cannot be opened, shown masked so the run still reports its outcome; undefined when the
   * stored context is corrupt.
   */
  function writebackContext(run: Run): RunContext | undefined {
    const stored = runContextIfReadable(run);
    if (!stored) return undefined;
    try {
      return openSecretParams(stored, secretBox);
    } catch {
      return { ...stored, params: paramsForDisplay(stored) };
    }
  }

  /** Branches no longer needed (a join decided, or the run failed) may have backend work running: ask it to stop. */
  async function stopCancelledWork(run: Run, cancelled: readonly Step[]): Promise<void> {
    for (const step of cancelled) {
      const handler = step.external_ref ? deps.connectors.handler(step.connector, step.action) : undefined;
      if (handler?.cancel)
        await handler
          .cancel(step.external_ref!, actionContext(run, step, new AbortController().signal))
          .catch((err: Error) =>
            logger.warn('could not stop the backend work of a cancelled step', {
              runId: run.id,
              step: step.name,
              error: err.message,
            }),
          );
      if (stepFlow(step).credential !== undefined) await releaseGrants(step, 'step cancelled');
    }
  }

  /** The output a rule's write-back asks to attach (`attach_output`), when its step left any (stored masked, see settle). */
  function outputToAttach(
    context: RunContext,
    steps: readonly Step[],
    outcome: 'succeeded' | 'failed' | 'refused',
  ): OutboxAttachment | undefined {
    const wanted = writebackFor(context, outcome)?.attach_output;
    const step = wanted && steps.find((s) => s.name === wanted.step);
    return step
      ? outputAttachment(step, wanted.file_name, deps.attachmentMaxBytes ?? DEFAULT_ATTACHMENT_MAX_BYTES)
      : undefined;
  }

  async function enqueueWriteback(
    trx: Parameters<Repositories['outbox']['enqueue']>[0],
    run: Run,
    writeback: { fields: Record<string, string>; workNote?: string },
    at: number,
  ) {
    const id = randomUUID();
    const marker = `snowline-writeback:${id}`;
    const fields = {
      ...writeback.fields,
      // The trace id tags the note: the ticket leads to the trace (docs/observability.md).
      ...(writeback.workNote
        ? { work_notes: `${writeback.workNote}\n[${marker} trace:${traceIdOf(run.correlation_id)}]` }
        : {}),
    };
    await repos.outbox.enqueue(trx, {
      id,
      run_id: run.id,
      table_name: run.table_name,
      sys_id: run.sys_id,
      ticket_number: run.ticket_number,
      fields: JSON.stringify(fields),
      marker,
      next_at: at,
    });
  }

  return { process };
}

/** A credential's fields as templates see them outside the attempt that holds it. */
const WITHHELD = placeholderFields(() => '[withheld]');

/** A step's milestone verdicts in words: what was checked and what it found. */
function requirementsNote(runId: string, stepName: string, verdicts: readonly RequirementVerdict[]): string {
  const unmet = verdicts.find((v) => !v.met);
  const lines = verdicts.map((v) => `- ${v.check}: ${v.met ? 'met' : 'NOT met'} (${v.why})`);
  const head = unmet
    ? `milestone check "${unmet.check}" refused step ${stepName}; it does not run.`
    : `milestone checks passed; step ${stepName} starts.`;
  return [`Snowline run ${runId}: ${head}`, ...lines].join('\n');
}

/** Raw values of a record as the Table API returns them (a reference may come as { value, link }). */
function rawFields(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).map(([name, value]) => [
      name,
      value && typeof value === 'object' && 'value' in value
        ? String((value as { value: unknown }).value)
        : value === null || value === undefined
          ? ''
          : String(value),
    ]),
  );
}

/**
 * The output a failed job left (connectors put it in the error's `details.stdoutTail`), kept as
 * the failed step's result so that its log can still be attached to the ticket.
 */
function failureOutput(err: unknown): { stdout_tail: string } | undefined {
  const tail = err instanceof SnowlineError ? err.details.stdoutTail : undefined;
  return typeof tail === 'string' && tail !== '' ? { stdout_tail: tail } : undefined;
}

const DEFAULT_RETRY_DEADLINE_MS = 15 * 60_000;

/** next_at of a parked step: never due by the clock, only when a resume sets it. */
const PARKED_UNTIL = Number.MAX_SAFE_INTEGER;

const emptyRegistry: GateRegistry = { register: () => undefined, get: () => undefined, names: () => [] };

const noServiceNow: ServiceNowReader = {
  getRecord: () =>
    Promise.reject(new SnowlineError('gate.no_servicenow', 'no ServiceNow reader is configured for gates')),
  query: () => Promise.reject(new SnowlineError('gate.no_servicenow', 'no ServiceNow reader is configured for gates')),
};
export type StepWorker = ReturnType<typeof createStepWorker>;
