import {
  eventually,
  sleep,
  SHIPPED_CHANGE_MAPPING,
  startChangeHarness,
  utc,
  type ChangeHarness,
} from './change-harness';

// The README walk-through "a standard change executed inside its window", on the sandbox. Standard
// changes: https://www.servicenow.com/docs/r/it-service-management/change-management/normal-standard-emergency-states.html (pre-authorised: no Assess, no Authorize; raised from a template
// version, change_request.std_change_producer_version). The rule here asks for approval, so only the
// template's pre-approval lets the change run; windows still hold.
jest.setTimeout(90_000);

let h: ChangeHarness;
const ci: Record<string, string> = {};
const TEMPLATE = 'Restart a service on a Linux server - v1';

beforeAll(async () => {
  h = await startChangeHarness({
    mapping: SHIPPED_CHANGE_MAPPING.replace('approval: not_required', 'approval: required'),
  });
  for (const name of ['web-01', 'web-02']) ci[name] = await h.sysId('cmdb_ci', `name=${name}`);
});
afterAll(() => h?.stop());

describe('a standard change executed inside its window', () => {
  it('is pre-approved by its template, waits for its planned start, then runs and ends in Review', async () => {
    const version = await h.sysId('std_change_producer_version', `name=${TEMPLATE}`);
    const startsIn = 6;
    const id = await h.createChange({
      type: 'standard',
      std_change_producer_version: version,
      cmdb_ci: ci['web-02']!,
      short_description: 'Restart nginx on web-02',
      state: '-2',
      start_date: utc(startsIn),
      end_date: utc(600),
    });
    const created = await h.change(id);
    // The template filled in what the request left out and approved the change: no approval records.
    expect(created.approval).toBe('approved');
    expect(created.implementation_plan).toContain('Restart service');
    expect(created.risk).toBe('4');
    const approvals = (await h.snow('GET', `/api/now/table/sysapproval_approver?sysapproval=${id}`)).result;
    expect(approvals).toEqual([]);

    // Before the window opens nothing runs; Snowline says what it waits for.
    await eventually(
      async () => (await h.workNotes(id)).some((n) => n.includes('waiting for the planned start')),
      5_000,
      'the wait for the planned start to be noted',
    );
    expect(await h.jobsFor('web-02')).toEqual([]);

    const done = await eventually(
      async () => {
        const c = await h.change(id);
        return c.state === '0' ? c : undefined;
      },
      30_000,
      'the change to reach Review',
    );
    expect(done.close_code).toBe('successful');
    expect(Date.parse(`${done.work_start!.replace(' ', 'T')}Z`)).toBeGreaterThanOrEqual(
      Date.parse(`${created.start_date!.replace(' ', 'T')}Z`),
    );
    expect(await h.jobsFor('web-02')).toEqual([
      expect.objectContaining({ name: 'Restart service', status: 'successful' }),
    ]);
    const notes = await h.workNotes(id);
    expect(notes.some((n) => n.includes(`standard change pre-approved by template "${TEMPLATE}"`))).toBe(true);
    // The audit entry carries the template as change-control evidence.
    const [passed] = h.audit('change.gate.passed', created.number!);
    expect(passed?.marks).toEqual([`standard change pre-approved by template "${TEMPLATE}"`]);
  });

  it('a change merely typed standard, with no template, is not pre-approved: it waits for approval', async () => {
    const id = await h.createChange({
      type: 'standard',
      cmdb_ci: ci['web-01']!,
      short_description: 'Restart nginx on web-01',
      state: '-2',
    });
    await eventually(
      async () => (await h.workNotes(id)).some((n) => n.includes('waiting for approval')),
      15_000,
      'the wait for approval to be noted',
    );
    await sleep(1_000);
    expect(await h.jobsFor('web-01')).toEqual([]);
    expect((await h.change(id)).state).toBe('-2');
  });
});
