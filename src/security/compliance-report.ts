import { auditDetail } from '../store/audit.repository';
import type { AuditRow } from '../store/schema';
import type { AuditReport } from './audit-report';
import { privilegeGrants, type PrivilegeGrantEvidence } from './privilege-evidence';

/**
 * Change-control evidence (SOX, ISO 27001 A.8.32) for a period, built from the audit journal alone
 * (pure: rows in, report out). For each change Snowline was asked to implement: the approvals it saw,
 * the window, the freeze and segregation-of-duties checks, what people overrode, and the outcome.
 * For each other automation: rule, rule version, outcome and duration. The chain verification
 * result says whether the journal these facts come from is intact.
 */
export interface ComplianceReport {
  period: { from: string; to: string };
  generatedAt: string;
  chain: AuditReport['chain'];
  changes: ChangeEvidence[];
  automations: AutomationEvidence[];
  /** Just-in-time elevations (privileged steps' credentials) granted in the period. */
  privilegeGrants: PrivilegeGrantEvidence[];
}

/** One act by a person on a run: retry, skip, cancel, pause, resume, approve, reject. */
export interface Override {
  at: string;
  actor: string;
  action: string;
  detail: string;
}

export interface ApproverEvidence {
  approver: string;
  state: string;
  decidedAt: string;
}

export interface ChangeEvidence {
  change: string;
  runId: string;
  rule: string;
  ruleVersion: string;
  /** `executed`: the gates let it start; `refused`: a gate said no; `not executed`: it never got past waiting (cancelled, or still waiting). */
  decision: 'executed' | 'refused' | 'not executed';
  decidedAt: string;
  type: string;
  requestedBy: string;
  /** The change's approval field and the approval records when the gates passed; empty when not recorded. */
  approval: string;
  approvers: ApproverEvidence[];
  window: string;
  freezeCheck: string;
  sodCheck: string;
  /** Milestone checks of plan steps (`requires:`), each `step: check met|not met (why)`. */
  milestoneChecks: string[];
  refusal: string;
  outcome: string;
  rollback: string;
  overrides: Override[];
}

export interface AutomationEvidence {
  ticket: string;
  runId: string;
  rule: string;
  ruleVersion: string;
  startedAt: string;
  outcome: string;
  finishedAt: string;
  durationSeconds: number | null;
  overrides: Override[];
}

const SYSTEM_ACTOR = 'snowline';
const FINISHED_RUN = /^run\.(succeeded|failed|refused|cancelled)$/;
const NOT_RECORDED = 'not recorded';
const iso = (ms: number) => new Date(Number(ms)).toISOString();

interface RunTrail {
  runId: string;
  ticket: string;
  entries: { row: AuditRow; detail: Record<string, unknown> }[];
}

/** Groups the period's entries by the run they concern; runs appear in the order they started. */
function trails(rows: readonly AuditRow[]): Map<string, RunTrail> {
  const byRun = new Map<string, RunTrail>();
  for (const row of rows) {
    const detail = auditDetail(row);
    const runId = typeof detail.runId === 'string' ? detail.runId : undefined;
    if (!runId) continue;
    const trail = byRun.get(runId) ?? { runId, ticket: row.subject, entries: [] };
    trail.entries.push({ row, detail });
    byRun.set(runId, trail);
  }
  return byRun;
}

export function buildComplianceReport(
  rows: readonly AuditRow[],
  range: { from: number; to: number },
  chain: ComplianceReport['chain'],
  generatedAt: number,
): ComplianceReport {
  const byRun = trails(rows);
  const rollbackRuns = new Map<string, string>();
  for (const row of rows) {
    if (row.kind !== 'change.rollback.started') continue;
    const detail = auditDetail(row);
    rollbackRuns.set(String(detail.runId), String(detail.rollbackRunId));
  }
  const rollbackIds = new Set(rollbackRuns.values());
  const changes: ChangeEvidence[] = [];
  const automations: AutomationEvidence[] = [];
  for (const trail of byRun.values()) {
    if (rollbackIds.has(trail.runId)) continue;
    const matched = trail.entries.find((e) => e.row.kind === 'rule.matched');
    // Entries of a run started before the period belong to that period's report.
    if (!matched) continue;
    const rollback = rollbackRuns.get(trail.runId);
    if (isChangeRun(trail))
      changes.push(changeEvidence(trail, matched.detail, rollback ? byRun.get(rollback) : undefined, rollback));
    else automations.push(automationEvidence(trail, matched));
  }
  return {
    period: { from: iso(range.from), to: iso(range.to) },
    generatedAt: iso(generatedAt),
    chain,
    changes,
    automations,
    privilegeGrants: privilegeGrants(rows),
  };
}

function isChangeRun(trail: RunTrail): boolean {
  return trail.entries.some(
    (e) => e.row.kind.startsWith('change.') || (e.row.kind === 'gate.waiting' && e.detail.gate === 'change'),
  );
}

function overridesOf(trail: RunTrail | undefined): Override[] {
  return (trail?.entries ?? [])
    .filter((e) => e.row.actor !== SYSTEM_ACTOR)
    .map((e) => {
      const { runId: _run, ...rest } = e.detail;
      return { at: iso(e.row.at), actor: e.row.actor, action: e.row.kind, detail: JSON.stringify(rest) };
    });
}

function runOutcome(trail: RunTrail | undefined): { outcome: string; finishedAt?: number } {
  const finished = trail?.entries.filter((e) => FINISHED_RUN.test(e.row.kind)).at(-1);
  return finished
    ? { outcome: finished.row.kind.slice('run.'.length), finishedAt: finished.row.at }
    : { outcome: 'unfinished at the end of the period' };
}

function automationEvidence(trail: RunTrail, matched: RunTrail['entries'][number]): AutomationEvidence {
  const { outcome, finishedAt } = runOutcome(trail);
  return {
    ticket: trail.ticket,
    runId: trail.runId,
    rule: String(matched.detail.rule),
    ruleVersion: String(matched.detail.ruleVersion),
    startedAt: iso(matched.row.at),
    outcome,
    finishedAt: finishedAt === undefined ? '' : iso(finishedAt),
    durationSeconds: finishedAt === undefined ? null : Math.round((finishedAt - matched.row.at) / 100) / 10,
    overrides: overridesOf(trail),
  };
}

interface GatePassedDetail {
  type?: string;
  marks?: string[];
  approval?: string;
  approvers?: { approver: string; state: string; decidedAt: string }[];
  window?: { start: string; end: string };
  freezesChecked?: number;
  requestedBy?: string;
}

function changeEvidence(
  trail: RunTrail,
  matched: Record<string, unknown>,
  rollbackTrail: RunTrail | undefined,
  rollbackId: string | undefined,
): ChangeEvidence {
  const passed = trail.entries.find((e) => e.row.kind === 'change.gate.passed');
  const refused = trail.entries.find((e) => e.row.kind === 'change.gate.refused');
  const closed = trail.entries.find((e) => e.row.kind === 'change.closed');
  const gate = (passed?.detail ?? {}) as GatePassedDetail;
  const refusal = refused ? String(refused.detail.reason ?? '') : '';
  const decision = passed ? 'executed' : refused ? 'refused' : 'not executed';
  const { outcome } = runOutcome(trail);
  const failed = refused ? failedCheck(refusal) : undefined;
  return {
    change: trail.ticket,
    runId: trail.runId,
    rule: String(matched.rule),
    ruleVersion: String(matched.ruleVersion),
    decision,
    decidedAt: iso((passed ?? refused)?.row.at ?? trail.entries[0]!.row.at),
    type: gate.type ?? '',
    requestedBy: gate.requestedBy ?? '',
    approval: gate.approval ?? '',
    approvers: (gate.approvers ?? []).map((a) => ({ approver: a.approver, state: a.state, decidedAt: a.decidedAt })),
    window: gate.window ? `${gate.window.start || 'open'} – ${gate.window.end || 'open'} UTC` : NOT_RECORDED,
    freezeCheck: passed ? freezeCheck(gate) : failed === 'freeze' ? 'failed' : 'not reached',
    milestoneChecks: milestoneChecks(trail),
    sodCheck: passed
      ? gate.requestedBy !== undefined
        ? `passed: the requester (${gate.requestedBy || 'none'}) is not an approver`
        : 'passed'
      : failed === 'sod'
        ? 'failed'
        : 'not reached',
    refusal,
    outcome: closed ? `closed ${String(closed.detail.close_code)} (run ${outcome})` : `run ${outcome}`,
    rollback: rollbackId ? `run ${rollbackId}: ${runOutcome(rollbackTrail).outcome}` : '',
    overrides: [...overridesOf(trail), ...overridesOf(rollbackTrail)],
  };
}

function milestoneChecks(trail: RunTrail): string[] {
  return trail.entries
    .filter((e) => e.row.kind === 'check.passed' || e.row.kind === 'check.refused')
    .flatMap((e) =>
      ((e.detail.verdicts ?? []) as { check: string; met: boolean; why: string }[]).map(
        (v) => `${String(e.detail.step)}: ${v.check} ${v.met ? 'met' : 'not met'} (${v.why})`,
      ),
    );
}

function freezeCheck(gate: GatePassedDetail): string {
  if (gate.marks?.length) return `passed with exception: ${gate.marks.join('; ')}`;
  return gate.freezesChecked === undefined
    ? 'passed'
    : `passed: no freeze in effect (${gate.freezesChecked} freezes and blackout spans checked)`;
}

/** Which check a refusal came from, by the words src/change/change-gates.ts refuses with. */
function failedCheck(reason: string): 'freeze' | 'sod' | undefined {
  if (reason.includes('segregation of duties')) return 'sod';
  if (reason.includes('change freeze')) return 'freeze';
  return undefined;
}
