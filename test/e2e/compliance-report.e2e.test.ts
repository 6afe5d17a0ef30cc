import { issueToken } from '../../src/security/jwt';
import type { ComplianceReport } from '../../src/security/compliance-report';
import { runCli } from '../helpers/run-cli';
import { eventually, startChangeHarness, utc, type ChangeHarness } from './change/change-harness';

// A scripted day on the sandbox: changes approved, refused (segregation of duties, a blackout),
// cancelled by an operator and let through a blackout as an emergency; incidents remediated, one
// failing and retried by an operator. Then `snowline report compliance` over the day, in each format.
// Change states and approvals: https://www.servicenow.com/docs/r/it-service-management/change-management/c_ChangeStateModel.html; blackout schedules https://www.servicenow.com/docs/r/it-service-management/change-management/c_ConflictDetection.html.
jest.setTimeout(90_000);

const JWT_SECRET = 'compliance-e2e-secret-0123456789abcdef';
/** An operator whose identity is markup: the HTML report must show it, not run it. */
const HOSTILE_OPERATOR = '<script>alert("sox")</script>';

const INCIDENT_MAPPING = `
table: incident
rules:
  - id: restart-service-when-down
    description: Restart nginx on a host reported down
    owner: Linux Ops
    risk: low
    priority: 100
    on: [inserted]
    condition: active=true^short_descriptionLIKEis down on
    params:
      host: "{{ ticket.short_description | capture: 'is down on ([A-Za-z0-9_.-]+)' | lower }}"
    steps:
      - name: restart
        use: ansible.launch_job_template
        with:
          job_template: Restart service
          limit: "{{ params.host }}"
          extra_vars: { service_name: nginx }
  - id: restart-crashing-service
    description: Restart a crashing service (its job fails in the sandbox)
    owner: Linux Ops
    risk: low
    priority: 110
    on: [inserted]
    condition: active=true^short_descriptionLIKEkeeps crashing on
    steps:
      - name: restart
        use: ansible.launch_job_template
        with:
          job_template: Restart service
          limit: db-01
          extra_vars: { service_name: nginx, sandbox_fail: true }
`;

let h: ChangeHarness;
const dayStart = new Date(Date.now() - 60_000).toISOString();
const numbers: Record<string, string> = {};
let report: ComplianceReport;
let csv: string;
let html: string;

async function api(path: string, subject: string): Promise<Response> {
  const token = issueToken(
    { secret: JWT_SECRET, issuer: 'snowline', audience: 'snowline-api' },
    subject,
    ['operator'],
    300,
  );
  return fetch(`${h.url}/api/v1${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
}

const changeNumber = async (sysId: string) => (await h.change(sysId)).number!;
const runOf = async (ticket: string, state?: string) =>
  eventually(
    async () => {
      const matched = h.audit('rule.matched', ticket)[0] as { runId: string } | undefined;
      if (!matched) return undefined;
      if (state && h.audit(`run.${state}`, ticket).length === 0) return undefined;
      return matched.runId;
    },
    20_000,
    `a run for ${ticket}${state ? ` to be ${state}` : ''}`,
  );

async function scriptTheDay(): Promise<void> {
  const ci = Object.fromEntries(
    await Promise.all(
      ['web-01', 'web-02', 'db-01'].map(async (n) => [n, await h.sysId('cmdb_ci', `name=${n}`)] as const),
    ),
  );
  const manager = await h.sysId('sys_user', 'user_name=david.loo');
  const normal = (host: string, fields: Record<string, string> = {}) =>
    h.createChange({
      type: 'normal',
      cmdb_ci: ci[host]!,
      short_description: `Patch ${host}`,
      start_date: utc(-60),
      end_date: utc(3600),
      state: '-3',
      approval: 'requested',
      ...fields,
    });

  // Morning: one change the CAB approves, one its requester would approve himself, one an operator withdraws.
  const approved = await normal('web-01');
  const selfApproved = await normal('web-02', { requested_by: manager });
  const withdrawn = await normal('db-01', { short_description: 'Patch db-01 (withdrawn)' });
  const down = (await h.snow('POST', '/api/now/table/incident', { short_description: 'nginx is down on web-02' }))
    .result as { number: string };
  const crashing = (
    await h.snow('POST', '/api/now/table/incident', { short_description: 'nginx keeps crashing on db-01' })
  ).result as { number: string };
  Object.assign(numbers, {
    approved: await changeNumber(approved),
    selfApproved: await changeNumber(selfApproved),
    withdrawn: await changeNumber(withdrawn),
    down: down.number,
    crashing: crashing.number,
  });

  const approval = await h.sysId('sysapproval_approver', `sysapproval=${approved}^state=requested`);
  await h.snow('PATCH', `/api/now/table/sysapproval_approver/${approval}`, { state: 'approved' });
  const withdrawnRun = await runOf(numbers.withdrawn!);
  await eventually(
    async () => h.audit('gate.waiting', numbers.withdrawn!).length > 0,
    10_000,
    'the withdrawn change to wait for approval',
  );
  expect((await api(`/runs/${withdrawnRun}/cancel`, HOSTILE_OPERATOR)).status).toBe(200);
  const crashingRun = await runOf(numbers.crashing!, 'failed');
  expect((await api(`/runs/${crashingRun}/retry`, HOSTILE_OPERATOR)).status).toBe(200);
  await eventually(
    async () => h.audit('run.failed', numbers.crashing!).length === 2,
    20_000,
    'the retried run to fail again',
  );
  await eventually(async () => (await h.change(approved)).state === '0', 25_000, 'the approved change to reach Review');
  await runOf(numbers.down!, 'succeeded');
  await eventually(
    async () => h.audit('change.gate.refused', numbers.selfApproved!).length > 0,
    10_000,
    'the self-approved change to be refused',
  );

  // Afternoon: a blackout begins; an emergency change goes through it, a normal one is refused.
  const schedule = (await h.snow('POST', '/api/now/table/cmn_schedule', { name: 'Black Friday', type: 'blackout' }))
    .result.sys_id as string;
  const compact = (s: string) => s.replace(/[-:]/g, '').replace(' ', 'T');
  await h.snow('POST', '/api/now/table/cmn_schedule_span', {
    schedule,
    name: 'sales weekend',
    start_date_time: compact(utc(-3600)),
    end_date_time: compact(utc(7200)),
  });
  const emergency = await h.createChange({
    type: 'emergency',
    cmdb_ci: ci['web-02']!,
    short_description: 'Patch web-02 now',
    start_date: utc(-60),
    end_date: utc(3600),
    state: '-2',
    approval: 'approved',
  });
  const blocked = await h.createChange({
    type: 'normal',
    cmdb_ci: ci['db-01']!,
    short_description: 'Patch db-01 again',
    start_date: utc(-60),
    end_date: utc(3600),
    state: '-2',
    approval: 'approved',
  });
  Object.assign(numbers, { emergency: await changeNumber(emergency), blocked: await changeNumber(blocked) });
  await eventually(
    async () => (await h.change(emergency)).state === '0',
    25_000,
    'the emergency change to reach Review',
  );
  await eventually(
    async () => h.audit('change.gate.refused', numbers.blocked!).length > 0,
    10_000,
    'the change in the blackout to be refused',
  );
}

beforeAll(async () => {
  h = await startChangeHarness({
    mappings: { 'incident.yaml': INCIDENT_MAPPING },
    change: { blackoutSchedules: true, recheckSeconds: 1 },
    env: { SNOWLINE_JWT_SECRET: JWT_SECRET },
  });
  await scriptTheDay();
  const dayEnd = new Date(Date.now() + 60_000).toISOString();
  const args = (format: string) => ['report', 'compliance', '--from', dayStart, '--to', dayEnd, '--format', format];
  const [json, csvOut, htmlOut] = await Promise.all(
    ['json', 'csv', 'html'].map((format) => runCli(args(format), { SNOWLINE_DB: h.dbPath })),
  );
  for (const out of [json, csvOut, htmlOut]) expect(out).toMatchObject({ code: 0, stderr: '' });
  report = JSON.parse(json!.stdout) as ComplianceReport;
  csv = csvOut!.stdout;
  html = htmlOut!.stdout;
});
afterAll(() => h?.stop());

const change = (key: string) => {
  const found = report.changes.find((c) => c.change === numbers[key]);
  if (!found) throw new Error(`no change ${numbers[key]} in the report`);
  return found;
};
const automation = (key: string) => report.automations.find((a) => a.ticket === numbers[key])!;

describe('snowline report compliance over a scripted day', () => {
  it('states the period and that the audit chain verifies', () => {
    expect(report.period.from).toBe(dayStart);
    expect(Date.parse(report.period.to)).toBeGreaterThan(Date.now());
    expect(report.chain).toEqual({ intact: true, entries: expect.any(Number) });
    expect(report.chain.entries).toBeGreaterThan(20);
    expect(report.changes.map((c) => c.change).sort()).toEqual(
      [numbers.approved, numbers.selfApproved, numbers.withdrawn, numbers.emergency, numbers.blocked].sort(),
    );
    expect(report.automations.map((a) => a.ticket).sort()).toEqual([numbers.down, numbers.crashing].sort());
  });

  it('shows who approved an executed change and when, its window, and the freeze and segregation-of-duties checks passing', () => {
    const c = change('approved');
    expect(c).toMatchObject({
      decision: 'executed',
      rule: 'patch-linux-host',
      type: 'normal',
      approval: 'approved',
      outcome: 'closed successful (run succeeded)',
      overrides: [],
    });
    expect(c.approvers).toEqual([
      {
        approver: 'david.loo',
        state: 'approved',
        decidedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      },
    ]);
    expect(c.window).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} – \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    expect(c.freezeCheck).toBe('passed: no freeze in effect (0 freezes and blackout spans checked)');
    expect(c.sodCheck).toMatch(/^passed: the requester \(.*\) is not an approver$/);
    expect(c.ruleVersion).not.toBe('');
  });

  it('shows the refusals: self-approval fails segregation of duties, a normal change fails the blackout', () => {
    expect(change('selfApproved')).toMatchObject({
      decision: 'refused',
      sodCheck: 'failed',
      refusal: expect.stringContaining('segregation of duties: the requester'),
    });
    expect(change('blocked')).toMatchObject({
      decision: 'refused',
      freezeCheck: 'failed',
      refusal: expect.stringContaining('change freeze "Black Friday: sales weekend"'),
    });
  });

  it('marks the emergency change that passed the blackout as an exception', () => {
    expect(change('emergency')).toMatchObject({
      decision: 'executed',
      type: 'emergency',
      approvers: [],
      freezeCheck: expect.stringContaining(
        'passed with exception: emergency change passed freeze "Black Friday: sales weekend"',
      ),
    });
  });

  it('names who overrode what', () => {
    expect(change('withdrawn')).toMatchObject({
      decision: 'not executed',
      outcome: 'run cancelled',
      overrides: [expect.objectContaining({ actor: HOSTILE_OPERATOR, action: 'run.cancelled' })],
    });
    expect(automation('crashing').overrides).toEqual([
      expect.objectContaining({ actor: HOSTILE_OPERATOR, action: 'run.retried' }),
    ]);
  });

  it('gives each incident automation its rule, version, outcome and duration', () => {
    expect(automation('down')).toMatchObject({
      rule: 'restart-service-when-down',
      outcome: 'succeeded',
      durationSeconds: expect.any(Number),
    });
    expect(automation('crashing')).toMatchObject({ rule: 'restart-crashing-service', outcome: 'failed' });
    expect(automation('down').durationSeconds).toBeGreaterThan(0);
    expect(automation('down').ruleVersion).toBe(change('approved').ruleVersion);
  });

  it('writes the same evidence as CSV, one line per change and automation after the report line', () => {
    const rows = parseCsv(csv);
    expect(rows[0]!.slice(0, 3)).toEqual(['record', 'ticket', 'run_id']);
    const col = (name: string) => rows[0]!.indexOf(name);
    expect(rows[1]![col('record')]).toBe('report');
    expect(rows[1]![col('outcome')]).toMatch(/^audit chain intact: \d+ entries verified$/);
    expect(rows[1]![col('window')]).toBe(`${report.period.from} – ${report.period.to}`);
    const line = (ticket: string) => rows.find((r) => r[col('ticket')] === ticket)!;
    expect(line(numbers.approved!)[col('approvers')]).toMatch(/^david\.loo approved at .+ UTC$/);
    expect(line(numbers.selfApproved!)[col('sod_check')]).toBe('failed');
    expect(line(numbers.down!)[col('record')]).toBe('automation');
    expect(Number(line(numbers.down!)[col('duration_seconds')])).toBeGreaterThan(0);
    expect(line(numbers.withdrawn!)[col('overrides')]).toContain(`${HOSTILE_OPERATOR} run.cancelled`);
    expect(rows).toHaveLength(1 + 1 + 5 + 2);
  });

  it('writes an HTML page where every piece of ticket and identity text is escaped', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Audit journal hash chain: <span class="intact">intact:');
    for (const n of Object.values(numbers)) expect(html).toContain(`<td>${n}</td>`);
    expect(html).toContain('&lt;script&gt;alert(&quot;sox&quot;)&lt;/script&gt;');
    expect(html.match(/<script/gi)).toBeNull();
    expect(html).toContain('change freeze &quot;Black Friday: sales weekend&quot;');
  });
});

/** RFC 4180, enough for the report: quoted fields with doubled quotes and embedded newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  return rows;
}
