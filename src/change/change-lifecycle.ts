import { randomUUID } from 'node:crypto';
import { formatDateTime } from '../rules/encoded-query/date-time';
import { type Repositories, type Store, inTransaction, type StoreTransaction } from '../store';
import type { Run, Step } from '../store/run.repository';
import { runContextIfReadable, runContextOf, type ChangeRunContext, type RunContext } from '../engine/run-context';
import type { Gate, GateContext, GateVerdict } from '../engine/gates';
import type { SettledStep, StepHooks } from '../engine/step-worker';
import { buildSteps } from '../engine/run-steps';
import { attachmentEntry, DEFAULT_ATTACHMENT_MAX_BYTES, outputAttachment } from '../engine/job-output';
import {
  CHANGE_STATE,
  evaluateChangeGates,
  type ApprovalRecord,
  type ChangeSnapshot,
  type Freeze,
  type RunningChange,
} from './change-gates';
import type { ChangeSource } from './change-source';
import { closeFields, describeStep, notStartedCloseFields, planList } from './change-notes';

export interface ChangeLifecycleDeps {
  store: Store;
  repos: Repositories;
  source: ChangeSource;
  /** Freezes from config. */
  freezes: readonly Freeze[];
  /** Also read blackout schedules from the instance. */
  blackoutSchedules: boolean;
  recheckMs: number;
  /** Largest job log attached to a change, in bytes (the start of a longer one is cut). Default 5 MiB. */
  attachmentMaxBytes?: number;
}

/** What change management plugs into the engine: the `change` gate and the lifecycle after each step. */
export interface ChangeManagement {
  gate: Gate;
  hooks: StepHooks;
}

/** The gate name change rules list (`gates: [change]`, and on later steps that must not start after the window). */
export const CHANGE_GATE = 'change';

/**
 * Change management around the engine's steps: before a step of a change_request run the `change`
 * gate evaluates the change as ServiceNow shows it now; the change record is moved to Implement on
 * start and to Review at the end, with a work note per milestone, change tasks per plan step when
 * the rule asks, and the rollback plan run as its own run when a step fails. Every ticket write
 * goes through the outbox, in the same transaction as the state it reports.
 */
export function changeManagement(deps: ChangeLifecycleDeps): ChangeManagement {
  const { store, repos, source } = deps;

  async function check(ctx: GateContext): Promise<GateVerdict> {
    if (!ctx.context.change)
      return {
        verdict: 'refuse',
        reason: 'the change gate only guards change_request rules that have a `change` block',
      };
    // A rollback must run whatever the window says: it undoes work already done.
    if (ctx.context.change.rollbackOf) return { verdict: 'pass' };
    const run = await repos.runs.get(ctx.run.id);
    if (!run) return { verdict: 'refuse', reason: `run ${ctx.run.id} no longer exists` };
    const context = runContextOf(run);
    const change = context.change ?? ctx.context.change;
    const at = ctx.now;
    const [snapshot, approvals, blackouts, running] = await Promise.all([
      source.change(run.sys_id),
      source.approvals(run.sys_id),
      deps.blackoutSchedules ? source.blackouts() : Promise.resolve([]),
      runningChanges(run.id),
    ]);
    const verdict = evaluateChangeGates({
      change: snapshot,
      approvals,
      freezes: [...deps.freezes, ...blackouts],
      running,
      approvalPolicy: change.plan.approval,
      phase: ctx.step.idx === 0 ? 'start' : 'next_step',
      approvedBefore: change.cleared === true,
      nowMs: at,
      recheckMs: deps.recheckMs,
    });
    if (verdict.kind === 'refuse') return { verdict: 'refuse', reason: verdict.reason };
    const wait = async (reason: string, untilMs: number, approved: boolean): Promise<GateVerdict> => {
      const next: ChangeRunContext = { ...change, cleared: change.cleared || approved, lastWait: reason };
      if (next.lastWait !== change.lastWait || next.cleared !== change.cleared) {
        await inTransaction(store, async (trx) => {
          await saveChange(trx, run.id, context, next);
          if (next.lastWait !== change.lastWait)
            await enqueue(
              trx,
              run,
              'change_request',
              run.sys_id,
              { work_notes: `${who(context, run)}: ${reason}.` },
              at,
            );
        });
      }
      return { verdict: 'wait', reason, until: untilMs };
    };
    if (verdict.kind === 'wait') return wait(verdict.reason, verdict.untilMs, verdict.approved);
    if (ctx.step.idx > 0) return { verdict: 'pass' };
    // The conflict check above reads running changes; the claim makes it atomic against a change checked at the same instant.
    if (snapshot.cmdb_ci) {
      const claim = await inTransaction(store, (trx) =>
        repos.changeClaims.claim(trx, {
          cmdb_ci: snapshot.cmdb_ci,
          run_id: run.id,
          ticket_number: run.ticket_number,
          claimed_at: at,
        }),
      );
      if (!claim.claimed)
        return wait(
          `waiting for ${claim.holder.ticket_number}, running on the same configuration item`,
          at + deps.recheckMs,
          true,
        );
    }
    const tasks = change.plan.change_tasks ? await createTasks(run, context) : change.tasks;
    await inTransaction(store, async (trx) => {
      await saveChange(trx, run.id, context, {
        ...change,
        cleared: true,
        implementing: true,
        lastWait: undefined,
        tasks,
      });
      const marks = verdict.marks.length ? ` Audit: ${verdict.marks.join('; ')}.` : '';
      const note = `${who(context, run)}: change gates passed (approval, window, freezes, conflicts, segregation of duties).${marks} Starting the implementation plan: ${planList(run.steps)}.`;
      await enqueue(
        trx,
        run,
        'change_request',
        run.sys_id,
        { state: CHANGE_STATE.implement, work_start: formatDateTime(at), work_notes: note },
        at,
      );
      const evidence = gateEvidence(snapshot, approvals, deps.freezes.length + blackouts.length);
      await repos.audit.append(
        trx,
        {
          kind: 'change.gate.passed',
          actor: 'snowline',
          subject: run.ticket_number,
          detail: { runId: run.id, type: snapshot.type, marks: verdict.marks, ...evidence },
        },
        at,
      );
    });
    return { verdict: 'pass' };
  }

  async function afterSettle(trx: StoreTransaction, settled: SettledStep): Promise<void> {
    const { run, step, at } = settled;
    // Read again in the settling transaction: the gate may have saved the change's state since the run was read.
    const context = runContextIfReadable((await repos.runContexts.read(trx, run.id)) ?? run);
    const change = context?.change;
    if (!context || !change) return;
    const prefix = who(context, run);
    await closeTasks(trx, run, change, settled);
    await attachJobLog(trx, run, settled);
    const neverStarted = settled.steps.every((s) => s.started_at === null);
    if (settled.outcome === 'refused' && neverStarted && !change.rollbackOf) {
      await repos.changeClaims.release(trx, run.id);
      // Already in Implement (a milestone check of the first step refused it): nothing ran, but the change must not stay there.
      const close = change.implementing
        ? notStartedCloseFields(run.id, context.rule.id, settled.error ?? 'refused', at)
        : {};
      await enqueue(
        trx,
        run,
        'change_request',
        run.sys_id,
        { ...close, work_notes: `${prefix}: not implementing ${run.ticket_number}: ${settled.error}.` },
        at,
      );
      await repos.audit.append(
        trx,
        {
          kind: 'change.gate.refused',
          actor: 'snowline',
          subject: run.ticket_number,
          detail: { runId: run.id, reason: settled.error },
        },
        at,
      );
      return;
    }
    if (settled.runState === 'running' || settled.runState === 'paused') {
      if (settled.outcome === 'succeeded')
        await enqueue(
          trx,
          run,
          'change_request',
          run.sys_id,
          { work_notes: `${prefix}: ${describeStep(step, settled.steps)}.` },
          at,
        );
      return;
    }
    const failed = settled.runState !== 'succeeded';
    if (failed && !change.rollbackOf && change.plan.rollback.length > 0) {
      const rollbackRun = await startRollback(trx, run, context, change, step.name, settled.error ?? 'failed', at);
      await repos.changeClaims.transfer(trx, run.id, rollbackRun);
      const note = `${prefix}: step ${step.name} failed: ${settled.error}. Running the rollback plan (${change.plan.rollback.map((s) => s.name).join(', ')}) as run ${rollbackRun}.`;
      await enqueue(trx, run, 'change_request', run.sys_id, { work_notes: note }, at);
      return;
    }
    await repos.changeClaims.release(trx, run.id);
    const fields = closeFields({
      context,
      change,
      run,
      steps: settled.steps,
      outcome: failed ? 'failed' : 'succeeded',
      failedStep: step.name,
      error: settled.error,
      at,
    });
    await enqueue(
      trx,
      run,
      'change_request',
      run.sys_id,
      { ...fields, work_notes: `${prefix}: ${fields.close_notes}` },
      at,
    );
    await repos.audit.append(
      trx,
      {
        kind: 'change.closed',
        actor: 'snowline',
        subject: run.ticket_number,
        detail: { runId: run.id, close_code: fields.close_code },
      },
      at,
    );
  }

  /** The output of every plan (and rollback) step that ran goes onto the change record as a file. */
  async function attachJobLog(trx: StoreTransaction, run: Run, settled: SettledStep): Promise<void> {
    if (settled.outcome !== 'succeeded' && settled.outcome !== 'failed') return;
    const saved = settled.steps.find((s) => s.id === settled.step.id);
    if (!saved || saved.started_at === null) return;
    const file = outputAttachment(
      saved,
      `snowline-${run.id.slice(0, 8)}-${saved.name}.log`,
      deps.attachmentMaxBytes ?? DEFAULT_ATTACHMENT_MAX_BYTES,
    );
    if (file) await repos.outbox.enqueue(trx, attachmentEntry(run, 'change_request', run.sys_id, file, settled.at));
  }

  /** Change runs implementing now: at least one step started and the run not finished. */
  async function runningChanges(exceptRunId: string): Promise<RunningChange[]> {
    const rows = await repos.runContexts.implementingChanges(exceptRunId);
    return rows.map((row) => {
      const ticket = runContextOf(row).ticket;
      return {
        number: row.ticket_number,
        cmdbCi: ticket.cmdb_ci ?? '',
        start_date: ticket.start_date ?? '',
        end_date: ticket.end_date ?? '',
      };
    });
  }

  async function createTasks(run: Run & { steps: Step[] }, context: RunContext): Promise<Record<string, string>> {
    const tasks: Record<string, string> = { ...(context.change?.tasks ?? {}) };
    for (const step of [...run.steps].sort((a, b) => a.idx - b.idx)) {
      tasks[step.name] ??= await source.ensureTask(run.sys_id, `snowline:${run.id}:${step.name}`, {
        short_description: `Snowline plan step ${step.idx + 1}: ${step.name} (${step.connector}.${step.action})`,
        change_task_type: 'implementation',
        state: '1',
      });
    }
    return tasks;
  }

  async function closeTasks(
    trx: StoreTransaction,
    run: Run,
    change: ChangeRunContext,
    settled: SettledStep,
  ): Promise<void> {
    const taskOf = (name: string) => change.tasks?.[name];
    const settledTask = taskOf(settled.step.name);
    if (settledTask) {
      const ended = settled.outcome === 'failed' || settled.outcome === 'refused';
      const note = ended
        ? `step ${settled.step.name} ${settled.outcome}: ${settled.error}`
        : describeStep(settled.step, settled.steps);
      await enqueue(
        trx,
        run,
        'change_task',
        settledTask,
        { state: '3', close_notes: note, work_notes: `Snowline run ${run.id}: ${note}` },
        settled.at,
      );
    }
    for (const s of settled.steps) {
      const task = taskOf(s.name);
      if (task && s.state === 'cancelled' && s.id !== settled.step.id)
        await enqueue(
          trx,
          run,
          'change_task',
          task,
          { state: '4', work_notes: `Snowline run ${run.id}: not run, step ${settled.step.name} failed.` },
          settled.at,
        );
    }
  }

  async function startRollback(
    trx: StoreTransaction,
    run: Run,
    context: RunContext,
    change: ChangeRunContext,
    failedStep: string,
    error: string,
    at: number,
  ): Promise<string> {
    const id = randomUUID();
    const rollbackContext: RunContext = {
      ...context,
      writeback: {},
      change: { plan: change.plan, rollbackOf: { runId: run.id, step: failedStep, error }, cleared: true },
    };
    // The rollback plan's steps are built like a rule's (in order, with their flow options); they pass the change gate.
    const steps = buildSteps({ steps: change.plan.rollback, gates: [] }, id, at);
    await repos.runs.create(
      trx,
      {
        id,
        rule_id: run.rule_id,
        rule_version: run.rule_version,
        table_name: run.table_name,
        sys_id: run.sys_id,
        ticket_number: run.ticket_number,
        event_key: `${run.event_key}:rollback:${run.id}`,
        state: 'running',
        context: JSON.stringify(rollbackContext),
        correlation_id: run.correlation_id,
        // The rollback works on what the run worked on: it keeps the run's concurrency key.
        created_at: at,
        updated_at: at,
        finished_at: null,
        concurrency_key: run.concurrency_key,
      },
      steps,
    );
    await repos.audit.append(
      trx,
      {
        kind: 'change.rollback.started',
        actor: 'snowline',
        subject: run.ticket_number,
        detail: { runId: run.id, rollbackRunId: id, failedStep },
      },
      at,
    );
    return id;
  }

  async function saveChange(
    trx: StoreTransaction,
    runId: string,
    context: RunContext,
    change: ChangeRunContext,
  ): Promise<void> {
    await repos.runContexts.save(trx, runId, JSON.stringify({ ...context, change }));
  }

  /** One write-back through the outbox; the marker lets the sender find a PATCH that reached the ticket before a crash. */
  async function enqueue(
    trx: StoreTransaction,
    run: Run,
    table: string,
    sysId: string,
    fields: Record<string, string>,
    at: number,
  ): Promise<void> {
    const id = randomUUID();
    const marker = `snowline-writeback:${id}`;
    const body = fields.work_notes ? { ...fields, work_notes: `${fields.work_notes}\n[${marker}]` } : fields;
    await repos.outbox.enqueue(trx, {
      id,
      run_id: run.id,
      table_name: table,
      sys_id: sysId,
      ticket_number: run.ticket_number,
      fields: JSON.stringify(body),
      marker,
      next_at: at,
    });
  }

  return {
    gate: {
      name: CHANGE_GATE,
      description:
        'the change is approved in ServiceNow, inside its window, outside freezes, free of conflicts and of self-approval',
      check,
    },
    hooks: { afterSettle },
  };
}

/**
 * What the gates saw when they let the change start, kept in the audit entry as change-control
 * evidence: who approved and when, the window, how many freezes were checked, who requested it.
 */
function gateEvidence(change: ChangeSnapshot, approvals: readonly ApprovalRecord[], freezesChecked: number) {
  return {
    approval: change.approval,
    approvers: approvals.map((a) => ({
      approver: a.approverName || a.approver,
      sysId: a.approver,
      state: a.state,
      decidedAt: a.decidedAt ?? '',
    })),
    window: { start: change.start_date, end: change.end_date },
    freezesChecked,
    requestedBy: change.requested_by_name || change.requested_by,
  };
}

function who(context: RunContext, run: Run): string {
  const kind = context.change?.rollbackOf ? 'rollback run' : 'run';
  return `Snowline rule ${context.rule.id} (version ${context.rule.version}), ${kind} ${run.id}`;
}
