import { buildReport, type ReportInputs } from '../../../src/reports/build-report';
import { renderReport, type Report } from '../../../src/reports/report';
import type { PortfolioRule } from '../../../src/reports/rule-lint';
import { writeHistory, type HistoryRun } from '../../bench/history';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-02T00:00:00Z');
const range = { from: T0, to: T0 + 30 * 24 * HOUR };

const step = (name: string, connector: string, state: string, durationMs: number, extra: object = {}) => ({
  name,
  connector,
  action: connector === 'ansible' ? 'launch_job_template' : 'request',
  state,
  durationMs,
  ...extra,
});

/** Five runs of three rules: two share an event, one waited for an approver, one was triggered by hand. */
const RUNS: HistoryRun[] = [
  {
    id: 'r1',
    rule: 'restart-service',
    ticket: 'INC0000001',
    state: 'succeeded',
    createdAt: T0 + 1 * HOUR,
    eventKey: 'incident:a:0',
    ci: 'web-01',
    steps: [step('restart', 'ansible', 'succeeded', 1000)],
  },
  {
    id: 'r2',
    rule: 'clear-disk',
    ticket: 'INC0000001',
    state: 'succeeded',
    createdAt: T0 + 1 * HOUR,
    eventKey: 'incident:a:0',
    ci: 'web-01',
    steps: [step('clean', 'ansible', 'succeeded', 3000)],
    approval: { actor: 'alice', decision: 'approved', afterMs: 600_000 },
  },
  {
    id: 'r3',
    rule: 'restart-service',
    ticket: 'INC0000002',
    state: 'failed',
    createdAt: T0 + 2 * HOUR,
    ci: 'web-02',
    steps: [step('restart', 'ansible', 'failed', 5000, { attempt: 3, error: 'timed out after 300 s' })],
  },
  {
    id: 'r4',
    rule: 'restart-service',
    ticket: 'INC0000003',
    state: 'failed',
    createdAt: T0 + 3 * HOUR,
    ci: 'web-02',
    steps: [step('restart', 'ansible', 'failed', 7000, { error: 'timed out after 120 s' })],
  },
  {
    id: 'r5',
    rule: 'open-ticket',
    ticket: 'INC0000004',
    state: 'succeeded',
    createdAt: T0 + 4 * HOUR,
    steps: [step('call', 'http', 'succeeded', 200)],
    manualBy: { actor: 'bob', groups: ['service-desk', 'network'] },
  },
];

const RULES: PortfolioRule[] = [
  { id: 'restart-service', owner: 'ops', table: 'incident', uses: ['ansible.launch_job_template'], values: [] },
  { id: 'clear-disk', owner: 'ops', table: 'incident', uses: ['ansible.launch_job_template'], values: [] },
  {
    id: 'open-ticket',
    owner: 'web',
    table: 'incident',
    uses: ['http.request'],
    values: [
      { path: 'call.with.url', key: 'url', value: 'https://legacy.example.com/api/v1/tickets' },
      { path: 'call.with.password', key: 'password', value: 'hunter2' },
      { path: 'call.with.token', key: 'token', value: '{{ secrets.token }}' },
    ],
  },
  { id: 'never-runs', owner: 'db', table: 'incident', uses: ['http.request'], values: [] },
];

const table = (report: Report, title: string) => report.tables.find((t) => t.title === title)!.rows;

describe.each(ENGINES)('continuous-improvement reports on %s', (engine) => {
  jest.setTimeout(60_000);
  let t: TestStore;
  let inputs: ReportInputs;
  beforeAll(async () => {
    t = await openTestStore(engine);
    await writeHistory(t.store, { runs: RUNS, identities: [{ subject: 'carol', lastUsedAt: T0 + HOUR }] });
    inputs = {
      reports: t.repos.reports,
      settings: {
        manualMinutes: { 'restart-service': 30 },
        defaultManualMinutes: 15,
        slas: { 'ansible:launch_job_template': { p95Ms: 4000, availability: 0.9 }, 'http:request': { p95Ms: 1000 } },
        deprecated: ['/api/v1/', 'http:legacy_call'],
      },
      rules: () => RULES,
    };
  });
  afterAll(() => t.close());

  it('value: counts runs, successes without a person, and hours saved per rule', async () => {
    const report = await buildReport('value', range, inputs);
    expect(report.summary).toMatchObject({
      runs: 5,
      succeeded: 3,
      // r2 waited for an approver and r5 was triggered by hand: only r1 ran with nobody involved.
      'runs without a person': 1,
      'tickets resolved without a person': 1,
      // restart-service: 1 success × 30 min; clear-disk and open-ticket: 1 success × 15 min each.
      'hours saved': 1,
    });
    expect(table(report, 'Per rule')).toContainEqual(['restart-service', 3, 1, 2, 1, 30, 0.5, '1.0 s']);
  });

  it('failures: groups failures that differ only in figures into one reason, by rule, CI and hour', async () => {
    const report = await buildReport('failures', range, inputs);
    expect(report.summary['failed steps']).toBe(2);
    expect(table(report, 'By rule')).toEqual([['restart-service', 2, 'timed out after # s', 2]]);
    expect(table(report, 'By configuration item')).toEqual([['web-02', 2, 'timed out after # s', 2]]);
    expect(table(report, 'By connector')).toEqual([['ansible', 2, 'timed out after # s', 2]]);
    // r3 failed at 02:00:05 and r4 at 03:00:07 UTC.
    expect(table(report, 'By hour of day (UTC)').map((r) => r[0])).toEqual(['2', '3']);
  });

  it('slas: nearest-rank percentiles, error rate with retries, availability against the declared SLA', async () => {
    const report = await buildReport('slas', range, inputs);
    const rows = table(report, 'Per endpoint');
    // ansible: durations 1000, 3000, 5000, 7000; 4 steps, calls 1+1+3+1 = 6 of which 2 retries + 2 failures.
    expect(rows).toContainEqual([
      'ansible:launch_job_template',
      4,
      6,
      3000,
      7000,
      7000,
      66.7,
      50,
      'BREACHED: p95 7000 ms > 4000 ms; availability 50 % < 90 %',
    ]);
    expect(rows).toContainEqual(['http:request', 1, 1, 200, 200, 200, 0, 100, 'met']);
    expect(report.summary).toMatchObject({ endpoints: 2, breached: 1 });
  });

  it('adoption: manual triggers per person and group, approvals and time to approve', async () => {
    const report = await buildReport('adoption', range, inputs);
    expect(table(report, 'Manual triggers by person')).toEqual([['bob', 1]]);
    expect(table(report, 'Manual triggers by group')).toEqual([
      ['network', 1],
      ['service-desk', 1],
    ]);
    expect(table(report, 'Approvals by approver')).toEqual([['alice', 1, 1, '10.0 min', '10.0 min']]);
    expect(report.summary['active API and console identities']).toBe(1);
  });

  it('portfolio: idle, overlapping, hard-coded, deprecated and failing rules, each with its owner', async () => {
    const report = await buildReport('portfolio', range, inputs);
    expect(table(report, 'Never matched in the window')).toEqual([['never-runs', 'db', 'incident', 'never']]);
    expect(table(report, 'Overlapping rules (ran for the same event)')).toEqual([
      ['clear-disk', 'restart-service', 1, 'ops, ops'],
    ]);
    // The templated token is a reference, not a hard-coded credential.
    expect(table(report, 'Hard-coded values')).toEqual([
      ['open-ticket', 'web', 'host', 'call.with.url'],
      ['open-ticket', 'web', 'credential', 'call.with.password'],
    ]);
    expect(table(report, 'Deprecated actions and API versions')).toEqual([['open-ticket', 'web', '/api/v1/']]);
    expect(table(report, 'Rules that fail most')).toEqual([['restart-service', 'ops', 3, 2, 66.7]]);
  });

  it('renders as Markdown and as CSV, one row per item', async () => {
    const report = await buildReport('adoption', range, inputs);
    expect(renderReport(report, 'markdown')).toContain('| alice | 1 | 1 | 10.0 min | 10.0 min |');
    const csv = renderReport(report, 'csv').split('\n');
    expect(csv).toContain('table,person,triggers');
    expect(csv).toContain('Manual triggers by person,bob,1');
  });
});
