import { auditCsv, buildAuditReport } from '../../../src/security/audit-report';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);
const MIN = 60_000;

describe.each(ENGINES)('audit evidence report on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
    const append = (at: number, kind: string, actor: string, subject: string, detail: Record<string, unknown>) =>
      t.store.db.transaction().execute((trx) => t.repos.audit.append(trx, { kind, actor, subject, detail }, at));
    await append(T0 - 60 * MIN, 'rule.matched', 'snowline', 'INC0000001', {
      rule: 'restart-nginx',
      ruleVersion: 'v1',
      runId: 'r0',
    });
    await append(T0 + 1 * MIN, 'rule.matched', 'snowline', 'INC0000002', {
      rule: 'restart-nginx',
      ruleVersion: 'v1',
      runId: 'r1',
    });
    await append(T0 + 2 * MIN, 'rule.matched', 'snowline', 'INC0000003', {
      rule: 'restart-nginx',
      ruleVersion: 'v2',
      runId: 'r2',
    });
    await append(T0 + 3 * MIN, 'run.failed', 'snowline', 'INC0000003', { runId: 'r2' });
    await append(T0 + 4 * MIN, 'run.retried', 'alice', 'INC0000003', { runId: 'r2' });
    await append(T0 + 5 * MIN, 'credential.stored', 'bob', 'ansible:token', { keyId: 'abc' });
    await append(T0 + 90 * MIN, 'run.cancelled', 'carol', 'INC0000004', { runId: 'r3' });
  });
  afterEach(() => t.close());

  it('reports who did what, rule versions per ticket and human decisions inside the range only', async () => {
    const range = { from: T0, to: T0 + 60 * MIN };
    const rows = await t.repos.audit.between({ ...range, limit: 100 });
    const report = buildAuditReport(rows, range, { intact: true, entries: 7 });
    expect(report.totals).toEqual({ 'rule.matched': 2, 'run.failed': 1, 'run.retried': 1, 'credential.stored': 1 });
    expect(report.ruleVersions).toEqual([
      { rule: 'restart-nginx', version: 'v1', runs: 1, tickets: ['INC0000002'] },
      { rule: 'restart-nginx', version: 'v2', runs: 1, tickets: ['INC0000003'] },
    ]);
    expect(report.humanDecisions.map((d) => `${d.actor} ${d.kind} ${d.subject}`)).toEqual([
      'alice run.retried INC0000003',
      'bob credential.stored ansible:token',
    ]);
    expect(report.actors.map((a) => a.actor)).toEqual(['alice', 'bob', 'snowline']);
  });

  it('writes CSV where ticket text cannot become a spreadsheet formula', async () => {
    await t.store.db
      .transaction()
      .execute((trx) =>
        t.repos.audit.append(
          trx,
          { kind: 'run.retried', actor: '=HYPERLINK("http://evil")', subject: 'INC0000009', detail: {} },
          T0 + 10 * MIN,
        ),
      );
    const csv = auditCsv(await t.repos.audit.between({ from: T0, to: T0 + 60 * MIN, limit: 100 }));
    expect(csv.split('\n')[0]).toBe('seq,at,kind,actor,subject,detail,hash');
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csv).not.toMatch(/(^|,)=HYPERLINK/m);
  });
});
