import { buildComplianceReport } from '../../../src/security/compliance-report';
import { complianceCsv, complianceHtml } from '../../../src/security/compliance-report-format';
import type { AuditRow } from '../../../src/store/schema';

const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);
const MIN = 60_000;
let seq = 0;
const entry = (
  minute: number,
  kind: string,
  subject: string,
  detail: Record<string, unknown>,
  actor = 'snowline',
): AuditRow => ({
  seq: ++seq,
  at: T0 + minute * MIN,
  kind,
  actor,
  subject,
  detail: JSON.stringify(detail),
  prev_hash: '',
  hash: '',
});

const rows = [
  // Entries of a run that started before the period belong to the earlier report.
  entry(3, 'run.succeeded', 'INC0000001', { runId: 'earlier' }),
  entry(5, 'rule.matched', 'CHG0000001', { rule: 'patch-linux-host', ruleVersion: 'v7', runId: 'c1' }),
  entry(6, 'change.gate.passed', 'CHG0000001', {
    runId: 'c1',
    type: 'normal',
    marks: [],
    approval: 'approved',
    approvers: [],
    window: { start: '2026-11-30 08:00:00', end: '2026-11-30 10:00:00' },
    freezesChecked: 1,
    requestedBy: 'beth',
  }),
  entry(6, 'check.passed', 'CHG0000001', {
    runId: 'c1',
    step: 'patch',
    verdicts: [{ check: 'security scan passed', met: true, why: 'step security_scan: scan_result is passed' }],
  }),
  entry(7, 'step.failed', 'CHG0000001', { runId: 'c1', step: 'patch' }),
  entry(7, 'change.rollback.started', 'CHG0000001', { runId: 'c1', rollbackRunId: 'rb1', failedStep: 'patch' }),
  entry(8, 'step.skipped', 'CHG0000001', { runId: 'rb1', step: 'roll_back', reason: '=cmd|" /c calc"!A1' }, 'carol'),
  entry(9, 'run.succeeded', 'CHG0000001', { runId: 'rb1' }),
  entry(9, 'change.closed', 'CHG0000001', { runId: 'c1', close_code: 'unsuccessful' }),
  entry(9, 'run.failed', 'CHG0000001', { runId: 'c1' }),
  entry(10, 'rule.matched', 'INC0000002', { rule: 'restart', ruleVersion: 'v7', runId: 'i2' }),
];
const altered = { intact: false, entries: 4, brokenAt: 5, reason: 'its content was altered' };

describe('the compliance report', () => {
  const report = buildComplianceReport(rows, { from: T0, to: T0 + 60 * MIN }, altered, T0 + 61 * MIN);

  it('reports the change with its rollback and the override made on the rollback run, and only runs started in the period', () => {
    expect(report.changes).toEqual([
      expect.objectContaining({
        change: 'CHG0000001',
        decision: 'executed',
        ruleVersion: 'v7',
        outcome: 'closed unsuccessful (run failed)',
        rollback: 'run rb1: succeeded',
        freezeCheck: 'passed: no freeze in effect (1 freezes and blackout spans checked)',
        milestoneChecks: ['patch: security scan passed met (step security_scan: scan_result is passed)'],
        sodCheck: 'passed: the requester (beth) is not an approver',
        overrides: [
          {
            at: new Date(T0 + 8 * MIN).toISOString(),
            actor: 'carol',
            action: 'step.skipped',
            detail: '{"step":"roll_back","reason":"=cmd|\\" /c calc\\"!A1"}',
          },
        ],
      }),
    ]);
    expect(report.automations).toEqual([
      expect.objectContaining({
        ticket: 'INC0000002',
        outcome: 'unfinished at the end of the period',
        durationSeconds: null,
      }),
    ]);
  });

  it('says loudly in every format when the journal does not verify', () => {
    expect(complianceHtml(report)).toContain(
      '<span class="altered">ALTERED at entry 5: its content was altered (4 entries verified before it)</span>',
    );
    expect(complianceCsv(report).split('\n')[1]).toContain('audit chain ALTERED at entry 5');
  });
});

describe('privilege grants in the compliance report', () => {
  const lease = {
    runId: 'p1',
    step: 'fix',
    credential: 'db-admin',
    provider: 'vault',
    leaseId: 'database/creds/db-admin/abc',
  };
  const grantRows = [
    entry(10, 'rule.matched', 'INC0000042', { rule: 'repair-db', ruleVersion: 'v3', runId: 'p1' }),
    entry(12, 'privilege.granted', 'INC0000042', { ...lease, approvedBy: 'fred.luddy', leaseSeconds: 900 }),
    entry(14, 'privilege.released', 'INC0000042', { ...lease, reason: 'attempt ended', heldMs: 120_000 }),
    entry(20, 'privilege.granted', 'INC0000042', {
      ...lease,
      leaseId: 'second',
      approvedBy: 'fred.luddy',
      leaseSeconds: 60,
    }),
  ];
  const report = buildComplianceReport(grantRows, { from: T0, to: T0 + 60 * MIN }, { intact: true, entries: 4 }, T0);

  it('lists each elevation with its approver, credential, lease and how it ended', () => {
    expect(report.privilegeGrants).toEqual([
      expect.objectContaining({
        ticket: 'INC0000042',
        runId: 'p1',
        step: 'fix',
        credential: 'db-admin',
        provider: 'vault',
        approvedBy: 'fred.luddy',
        leaseSeconds: 900,
        outcome: 'released',
        heldSeconds: 120,
        reason: 'attempt ended',
      }),
      expect.objectContaining({ leaseId: 'second', outcome: 'held at the end of the period', endedAt: '' }),
    ]);
  });

  it('shows them in CSV and HTML too', () => {
    const csv = complianceCsv(report);
    expect(csv.split('\n').filter((l) => l.startsWith('privilege,'))).toHaveLength(2);
    expect(csv).toContain('granted db-admin (vault, lease database/creds/db-admin/abc) to step fix');
    expect(complianceHtml(report)).toContain('<h2>Privilege grants (2)</h2>');
  });
});
