/** The implement path of a change: the `change` gate, which moves the change record to Implement when it lets the run start. */
import { formatDateTime } from '../rules/encoded-query/date-time';
import { inTransaction } from '../store';
import type { Run, Step } from '../store/run.repository';
import { runContextOf, type ChangeRunContext, type RunContext } from '../engine/run-context';
import type { GateContext, GateVerdict } from '../engine/gates';
import { runRefOf, type ChangeGateEvidence } from '../engine/run-events';
import {
  CHANGE_STATE,
  evaluateChangeGates,
  type ApprovalRecord,
  type ChangeSnapshot,
  type RunningChange,
} from './change-gates';
import { planList } from './change-notes';
import { who, type ChangeLifecycleDeps, type ChangeWrites } from './change-writes';

/**
 * Before a step of a change_request run, evaluates the change as ServiceNow shows it now; before
 * the first step it claims the configuration item, creates the change tasks when the rule asks, and
 * moves the change record to Implement.
 */
export function changeGateCheck(
  deps: ChangeLifecycleDeps,
  { saveChange, enqueue }: ChangeWrites,
): (ctx: GateContext) => Promise<GateVerdict> {
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
    await deps.events.inTransaction(async (trx, emit) => {
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
      await emit({
        type: 'change.gate.passed',
        run: runRefOf(run),
        at,
        changeType: snapshot.type,
        marks: verdict.marks,
        evidence,
      });
    });
    return { verdict: 'pass' };
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

  return check;
}

/**
 * What the gates saw when they let the change start, kept in the audit entry as change-control
 * evidence: who approved and when, the window, how many freezes were checked, who requested it.
 */
function gateEvidence(
  change: ChangeSnapshot,
  approvals: readonly ApprovalRecord[],
  freezesChecked: number,
): ChangeGateEvidence {
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
