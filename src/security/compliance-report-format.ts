import { csvLine } from './audit-report';
import type { ChangeEvidence, ComplianceReport, Override } from './compliance-report';

/**
 * The compliance report as CSV and as a self-contained HTML page. Ticket numbers, reasons, actor
 * names and override comments come from outside: the CSV keeps them from becoming formulas, the
 * HTML escapes every one of them.
 */

const CSV_COLUMNS = [
  'record',
  'ticket',
  'run_id',
  'rule',
  'rule_version',
  'at',
  'decision',
  'outcome',
  'duration_seconds',
  'type',
  'requested_by',
  'approval',
  'approvers',
  'window',
  'freeze_check',
  'sod_check',
  'milestone_checks',
  'refusal',
  'rollback',
  'overrides',
] as const;
type CsvRecord = Partial<Record<(typeof CSV_COLUMNS)[number], string>>;

const approversText = (change: ChangeEvidence) =>
  change.approvers.map((a) => `${a.approver} ${a.state} at ${a.decidedAt || 'unknown'} UTC`).join('; ');
const overridesText = (overrides: readonly Override[]) =>
  overrides.map((o) => `${o.at} ${o.actor} ${o.action}${o.detail === '{}' ? '' : ` ${o.detail}`}`).join('; ');
const chainText = (chain: ComplianceReport['chain']) =>
  chain.intact
    ? `intact: ${chain.entries} entries verified`
    : `ALTERED at entry ${chain.brokenAt}: ${chain.reason} (${chain.entries} entries verified before it)`;

/** One CSV with a `record` column: the report line (period, chain), then one line per change and per automation. */
export function complianceCsv(report: ComplianceReport): string {
  const records: CsvRecord[] = [
    {
      record: 'report',
      at: report.generatedAt,
      window: `${report.period.from} – ${report.period.to}`,
      outcome: `audit chain ${chainText(report.chain)}`,
    },
    ...report.changes.map((c): CsvRecord => ({
      record: 'change',
      ticket: c.change,
      run_id: c.runId,
      rule: c.rule,
      rule_version: c.ruleVersion,
      at: c.decidedAt,
      decision: c.decision,
      outcome: c.outcome,
      type: c.type,
      requested_by: c.requestedBy,
      approval: c.approval,
      approvers: approversText(c),
      window: c.window,
      freeze_check: c.freezeCheck,
      sod_check: c.sodCheck,
      milestone_checks: c.milestoneChecks.join('; '),
      refusal: c.refusal,
      rollback: c.rollback,
      overrides: overridesText(c.overrides),
    })),
    ...report.privilegeGrants.map((g): CsvRecord => ({
      record: 'privilege',
      ticket: g.ticket,
      run_id: g.runId,
      at: g.grantedAt,
      decision: `granted ${g.credential} (${g.provider}, lease ${g.leaseId}) to step ${g.step}`,
      approvers: g.approvedBy,
      outcome: `${g.outcome}${g.endedAt ? ` at ${g.endedAt}` : ''}${g.reason ? `: ${g.reason}` : ''}`,
      duration_seconds: g.heldSeconds === null ? '' : String(g.heldSeconds),
    })),
    ...report.automations.map((a): CsvRecord => ({
      record: 'automation',
      ticket: a.ticket,
      run_id: a.runId,
      rule: a.rule,
      rule_version: a.ruleVersion,
      at: a.startedAt,
      outcome: a.outcome,
      duration_seconds: a.durationSeconds === null ? '' : String(a.durationSeconds),
      overrides: overridesText(a.overrides),
    })),
  ];
  return `${[CSV_COLUMNS.join(','), ...records.map((r) => csvLine(CSV_COLUMNS.map((column) => r[column] ?? '')))].join('\n')}\n`;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text for element content and quoted attribute values alike. */
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '<p>None in this period.</p>';
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** A printable page an auditor can file: period, chain result, then the changes and the automations. */
export function complianceHtml(report: ComplianceReport): string {
  const changes = table(
    [
      'Change',
      'Run',
      'Rule (version)',
      'Decision',
      'At',
      'Type',
      'Requested by',
      'Approval',
      'Approvers (decided at)',
      'Window',
      'Freeze check',
      'Segregation of duties',
      'Milestone checks',
      'Refusal',
      'Outcome',
      'Rollback',
      'Overrides',
    ],
    report.changes.map((c) => [
      c.change,
      c.runId,
      `${c.rule} (${c.ruleVersion})`,
      c.decision,
      c.decidedAt,
      c.type,
      c.requestedBy,
      c.approval,
      approversText(c),
      c.window,
      c.freezeCheck,
      c.sodCheck,
      c.milestoneChecks.join('; '),
      c.refusal,
      c.outcome,
      c.rollback,
      overridesText(c.overrides),
    ]),
  );
  const automations = table(
    ['Ticket', 'Run', 'Rule', 'Version', 'Started', 'Outcome', 'Finished', 'Duration (s)', 'Overrides'],
    report.automations.map((a) => [
      a.ticket,
      a.runId,
      a.rule,
      a.ruleVersion,
      a.startedAt,
      a.outcome,
      a.finishedAt,
      a.durationSeconds === null ? '' : String(a.durationSeconds),
      overridesText(a.overrides),
    ]),
  );
  const grants = table(
    [
      'Granted',
      'Ticket',
      'Run',
      'Step',
      'Credential',
      'Provider',
      'Approved by',
      'Lease (s)',
      'Outcome',
      'Ended',
      'Held (s)',
      'Reason',
    ],
    report.privilegeGrants.map((g) => [
      g.grantedAt,
      g.ticket,
      g.runId,
      g.step,
      g.credential,
      g.provider,
      g.approvedBy,
      g.leaseSeconds === null ? '' : String(g.leaseSeconds),
      g.outcome,
      g.endedAt,
      g.heldSeconds === null ? '' : String(g.heldSeconds),
      g.reason,
    ]),
  );
  const chainClass = report.chain.intact ? 'intact' : 'altered';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Snowline change-control evidence ${escapeHtml(report.period.from)} – ${escapeHtml(report.period.to)}</title>
<style>body{font-family:sans-serif;font-size:13px}table{border-collapse:collapse;margin-bottom:2em}th,td{border:1px solid #999;padding:3px 6px;vertical-align:top;text-align:left}.intact{color:#060}.altered{color:#a00;font-weight:bold}</style>
</head>
<body>
<h1>Change-control evidence</h1>
<p>Period: ${escapeHtml(report.period.from)} to ${escapeHtml(report.period.to)} (end exclusive). Generated ${escapeHtml(report.generatedAt)} from the Snowline audit journal.</p>
<p>Audit journal hash chain: <span class="${chainClass}">${escapeHtml(chainText(report.chain))}</span></p>
<h2>Changes (${report.changes.length})</h2>
${changes}
<h2>Automations (${report.automations.length})</h2>
${automations}
<h2>Privilege grants (${report.privilegeGrants.length})</h2>
${grants}
</body>
</html>
`;
}
