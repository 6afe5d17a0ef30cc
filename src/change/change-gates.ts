import { formatDateTime, parseDateTime } from '../rules/encoded-query/date-time';

/**
 * The change gates: whether Snowline may start (or go on with) a change's implementation now.
 * Pure: the caller fetches the change and its approvals from ServiceNow at the moment of
 * execution, reads freezes and running changes, and passes the clock. States and approval values
 * follow https://www.servicenow.com/docs/r/it-service-management/change-management/c_ChangeStateModel.html; conflicts and schedules https://www.servicenow.com/docs/r/it-service-management/change-management/c_ConflictDetection.html.
 */

/** change_request.state values (docs/servicenow-behaviour.md §3.4). */
export const CHANGE_STATE = {
  new: '-5',
  assess: '-4',
  authorize: '-3',
  scheduled: '-2',
  implement: '-1',
  review: '0',
  closed: '3',
  canceled: '4',
} as const;

const STATE_LABEL: Record<string, string> = {
  '-5': 'New',
  '-4': 'Assess',
  '-3': 'Authorize',
  '-2': 'Scheduled',
  '-1': 'Implement',
  '0': 'Review',
  '3': 'Closed',
  '4': 'Canceled',
};

/** The change record as ServiceNow shows it now (raw values, docs/servicenow-behaviour.md §1.4). */
export interface ChangeSnapshot {
  number: string;
  type: string;
  state: string;
  approval: string;
  start_date: string;
  end_date: string;
  requested_by: string;
  cmdb_ci: string;
  /** The requester's user_name (dot-walked), for evidence; the gates compare sys_ids. */
  requested_by_name?: string;
  /** The name of the standard change template version (`std_change_producer_version`) it was raised from. */
  template_name?: string;
}

/** One `sysapproval_approver` row of the change (docs/servicenow-behaviour.md §3.4). */
export interface ApprovalRecord {
  approver: string;
  state: string;
  /** The approver's user_name (dot-walked), for evidence. */
  approverName?: string;
  /** sys_updated_on: when the approver last decided (raw UTC date-time), for evidence. */
  decidedAt?: string;
}

/** A period in which non-emergency changes must not run: a configured freeze or a blackout schedule span. */
export interface Freeze {
  name: string;
  startMs: number;
  endMs: number;
}

/** Another change whose implementation Snowline is running now. */
export interface RunningChange {
  number: string;
  cmdbCi: string;
  start_date: string;
  end_date: string;
}

export interface GateInput {
  change: ChangeSnapshot;
  approvals: readonly ApprovalRecord[];
  freezes: readonly Freeze[];
  running: readonly RunningChange[];
  /** From the rule: `not_required` lets a standard change run without approval. */
  approvalPolicy: 'required' | 'not_required';
  /** `start`: before the first step (Snowline has not touched the change); `next_step`: before a later step. */
  phase: 'start' | 'next_step';
  /** Whether an earlier check of this run already saw the change cleared to run: losing that later is a withdrawal. */
  approvedBefore: boolean;
  nowMs: number;
  /** How soon to look again while waiting on something ServiceNow will tell us (approval, a conflicting change). */
  recheckMs: number;
}

export type GateVerdict =
  /** Go. `marks` are facts the audit must carry (an emergency change passing a freeze). */
  | { kind: 'pass'; approved: boolean; marks: string[] }
  /** `approved`: the change is cleared to run (approved, or needs no approval) and only waits for time or a conflict. */
  | { kind: 'wait'; untilMs: number; reason: string; approved: boolean }
  | { kind: 'refuse'; reason: string };

const refuse = (reason: string): GateVerdict => ({ kind: 'refuse', reason });

/** Decides pass / wait / refuse; every refusal and wait says why in words fit for a work note. */
export function evaluateChangeGates(input: GateInput): GateVerdict {
  const { change, nowMs } = input;
  const state = change.state;
  const label = STATE_LABEL[state] ?? state;
  if (state === CHANGE_STATE.closed || state === CHANGE_STATE.canceled || state === CHANGE_STATE.review) {
    return refuse(`${change.number} is in state ${label}; Snowline does not implement it`);
  }

  const window = readWindow(change);
  if (typeof window === 'string') return refuse(window);
  if (window.endMs !== undefined && nowMs >= window.endMs) {
    const what = input.phase === 'start' ? 'not starting the implementation' : 'not starting another step';
    return refuse(`the planned change window ended at ${formatDateTime(window.endMs)} UTC; ${what}`);
  }

  const sod = segregationOfDuties(change, input.approvals);
  if (sod) return refuse(sod);

  const approval = approvalGate(input, label);
  if (approval.kind !== 'pass') return approval;

  if (window.startMs !== undefined && nowMs < window.startMs) {
    return {
      kind: 'wait',
      untilMs: window.startMs,
      reason: `waiting for the planned start ${formatDateTime(window.startMs)} UTC`,
      approved: approval.approved,
    };
  }

  const marks = approval.preApprovedBy ? [`standard change pre-approved by template "${approval.preApprovedBy}"`] : [];
  const freeze = input.freezes.find((f) => f.startMs <= nowMs && nowMs < f.endMs);
  if (freeze) {
    if (change.type === 'emergency')
      marks.push(`emergency change passed freeze "${freeze.name}" (until ${formatDateTime(freeze.endMs)} UTC)`);
    else if (window.endMs !== undefined && freeze.endMs >= window.endMs)
      return refuse(
        `change freeze "${freeze.name}" lasts until ${formatDateTime(freeze.endMs)} UTC, past the end of the change window`,
      );
    else
      return {
        kind: 'wait',
        untilMs: freeze.endMs,
        reason: `blocked by change freeze "${freeze.name}" until ${formatDateTime(freeze.endMs)} UTC`,
        approved: approval.approved,
      };
  }

  if (input.phase === 'start') {
    const conflict = input.running.find(
      (other) => other.cmdbCi === change.cmdb_ci && change.cmdb_ci !== '' && windowsOverlap(window, other),
    );
    if (conflict)
      return {
        kind: 'wait',
        untilMs: nowMs + input.recheckMs,
        reason: `waiting for ${conflict.number}, running on the same configuration item in an overlapping window`,
        approved: approval.approved,
      };
  }
  return { kind: 'pass', approved: approval.approved, marks };
}

interface Window {
  startMs?: number;
  endMs?: number;
}

/** The planned window; a normal change must have one (its window is what the CAB approved). */
function readWindow(change: ChangeSnapshot): Window | string {
  const startMs = change.start_date ? parseDateTime(change.start_date) : undefined;
  const endMs = change.end_date ? parseDateTime(change.end_date) : undefined;
  if (change.start_date && startMs === undefined)
    return `start_date "${change.start_date}" is not a date-time (yyyy-MM-dd HH:mm:ss)`;
  if (change.end_date && endMs === undefined)
    return `end_date "${change.end_date}" is not a date-time (yyyy-MM-dd HH:mm:ss)`;
  if (change.type === 'normal' && (startMs === undefined || endMs === undefined))
    return 'a normal change needs a planned start_date and end_date';
  if (startMs !== undefined && endMs !== undefined && endMs <= startMs) return 'end_date is not after start_date';
  return { startMs, endMs };
}

function windowsOverlap(window: Window, other: RunningChange): boolean {
  const otherStart = parseDateTime(other.start_date) ?? -Infinity;
  const otherEnd = parseDateTime(other.end_date) ?? Infinity;
  return (window.startMs ?? -Infinity) < otherEnd && otherStart < (window.endMs ?? Infinity);
}

/** The requester must not approve their own change (approval records still in play count). */
function segregationOfDuties(change: ChangeSnapshot, approvals: readonly ApprovalRecord[]): string | undefined {
  if (!change.requested_by) return undefined;
  const own = approvals.find(
    (a) => a.approver === change.requested_by && a.state !== 'cancelled' && a.state !== 'not_required',
  );
  return own
    ? `segregation of duties: the requester (${change.requested_by}) is also an approver of ${change.number}`
    : undefined;
}

const RUNNABLE_STATES: readonly string[] = [CHANGE_STATE.scheduled, CHANGE_STATE.implement];

/**
 * A standard change raised from a template (std_change_producer_version) is pre-approved by that
 * template: no approval records, whatever the rule's policy. A change merely typed `standard`
 * without a template runs unapproved only when the rule says `approval: not_required`.
 */
function approvalGate(
  input: GateInput,
  label: string,
): { kind: 'pass'; approved: boolean; preApprovedBy?: string } | Exclude<GateVerdict, { kind: 'pass' }> {
  const { change } = input;
  const preApprovedBy = change.type === 'standard' ? change.template_name || undefined : undefined;
  const needsApproval = !preApprovedBy && (change.type !== 'standard' || input.approvalPolicy === 'required');
  if (change.approval === 'rejected' || input.approvals.some((a) => a.state === 'rejected'))
    return refuse(`the approval of ${change.number} was rejected`);
  const approved = change.approval === 'approved';
  const runnableState =
    input.phase === 'start' ? RUNNABLE_STATES.includes(change.state) : change.state === CHANGE_STATE.implement;
  if ((approved || !needsApproval) && runnableState) return { kind: 'pass', approved: true, preApprovedBy };
  if (input.phase === 'next_step')
    return refuse(
      `${change.number} left Implement (now ${label}, approval ${change.approval}); not starting another step`,
    );
  if (input.approvedBefore)
    return refuse(
      `${change.number} is no longer approved for implementation (state ${label}, approval ${change.approval}); the waiting run stops`,
    );
  const waitingFor = needsApproval
    ? `approval (state ${label}, approval ${change.approval})`
    : `the change to be Scheduled (state ${label})`;
  return { kind: 'wait', untilMs: input.nowMs + input.recheckMs, reason: `waiting for ${waitingFor}`, approved: false };
}
