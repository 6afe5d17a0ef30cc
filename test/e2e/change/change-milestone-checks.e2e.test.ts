import { eventually, SHIPPED_CHANGE_MAPPING, startChangeHarness, utc, type ChangeHarness } from './change-harness';

// The shipped deploy-application-release rule: its production deployment step `requires` that the
// security scan step of the same run reported scan_result=passed in its job artifacts.
jest.setTimeout(90_000);

const inReview = (h: ChangeHarness, sysId: string) =>
  eventually(
    async () => {
      const c = await h.change(sysId);
      return c.state === '0' ? c : undefined;
    },
    25_000,
    'the change to reach Review',
  );

async function deployChange(h: ChangeHarness): Promise<string> {
  const web01 = await h.sysId('cmdb_ci', 'name=web-01');
  return h.createChange({
    type: 'normal',
    cmdb_ci: web01,
    short_description: 'Deploy shop to web-01',
    start_date: utc(-60),
    end_date: utc(3600),
    state: '-2',
    approval: 'approved',
  });
}

describe('a release whose security scan passed', () => {
  let h: ChangeHarness;
  beforeAll(async () => {
    h = await startChangeHarness();
  });
  afterAll(() => h?.stop());

  it('deploys to production, noting the check verdict on the change and in the audit', async () => {
    const id = await deployChange(h);
    const done = await inReview(h, id);
    expect(done.close_code).toBe('successful');
    expect((await h.jobsFor('web-01')).map((j) => [j.name, j.status])).toEqual([
      ['Security scan', 'successful'],
      ['Deploy application', 'successful'],
    ]);
    const notes = await h.workNotes(id);
    expect(
      notes.some(
        (n) =>
          n.includes('milestone checks passed; step deploy_production starts.') &&
          n.includes(
            '- security scan passed: met (step security_scan succeeded and the result of step security_scan matches artifacts.scan_result=passed)',
          ),
      ),
    ).toBe(true);
    expect(h.audit('check.passed', done.number!)).toEqual([
      expect.objectContaining({
        step: 'deploy_production',
        verdicts: [expect.objectContaining({ check: 'security scan passed', met: true })],
      }),
    ]);
  });
});

describe('a release whose security scan failed', () => {
  let h: ChangeHarness;
  beforeAll(async () => {
    // The shipped rule, with the sandbox scan reporting findings (a scan job succeeds whatever it finds).
    const failing = SHIPPED_CHANGE_MAPPING.replace(
      '          job_template: Security scan\n          limit: "{{ params.host }}"\n          extra_vars:\n',
      '          job_template: Security scan\n          limit: "{{ params.host }}"\n          extra_vars:\n            sandbox_artifacts: { scan_result: failed, findings: 3 }\n',
    );
    expect(failing).not.toBe(SHIPPED_CHANGE_MAPPING);
    h = await startChangeHarness({ mapping: failing });
  });
  afterAll(() => h?.stop());

  it('refuses the production step, says why, rolls back and closes the change unsuccessful', async () => {
    const id = await deployChange(h);
    const done = await inReview(h, id);
    expect(done.close_code).toBe('unsuccessful');
    expect(done.close_notes).toContain('check "security scan passed" not met');
    expect(done.close_notes).toContain('Rollback plan succeeded: step roll_back_deployment succeeded');
    // No deployment job was launched: the scan, then the rollback.
    expect((await h.jobsFor('web-01')).map((j) => j.name)).toEqual(['Security scan', 'Roll back deployment']);
    const notes = await h.workNotes(id);
    const verdict = notes.find((n) =>
      n.includes('milestone check "security scan passed" refused step deploy_production; it does not run.'),
    );
    expect(verdict).toContain(
      'NOT met (the result of step security_scan does not match artifacts.scan_result=passed (has artifacts.scan_result = "failed"))',
    );
    expect(h.audit('check.refused', done.number!)).toEqual([
      expect.objectContaining({
        step: 'deploy_production',
        verdicts: [expect.objectContaining({ check: 'security scan passed', met: false })],
      }),
    ]);
  });
});

describe('a check on a field of the change, on the first plan step', () => {
  let h: ChangeHarness;
  beforeAll(async () => {
    const withCheck = SHIPPED_CHANGE_MAPPING.replace(
      '      - name: patch\n        use: ansible.launch_job_template\n',
      '      - name: patch\n        use: ansible.launch_job_template\n        requires:\n          - check: test plan written\n            record: test_planISNOTEMPTY\n',
    );
    expect(withCheck).not.toBe(SHIPPED_CHANGE_MAPPING);
    h = await startChangeHarness({ mapping: withCheck });
  });
  afterAll(() => h?.stop());

  const patchChange = async (host: string, fields: Record<string, string>) =>
    h.createChange({
      type: 'normal',
      cmdb_ci: await h.sysId('cmdb_ci', `name=${host}`),
      short_description: `Patch ${host}`,
      start_date: utc(-60),
      end_date: utc(3600),
      state: '-2',
      approval: 'approved',
      ...fields,
    });

  it('reads the change as ServiceNow shows it when the step is due, and runs when the field is filled', async () => {
    const id = await patchChange('web-02', { test_plan: 'Check nginx answers after the reboot' });
    expect((await inReview(h, id)).close_code).toBe('successful');
    expect(
      (await h.workNotes(id)).some((n) =>
        n.includes('- test plan written: met (the ticket matches test_planISNOTEMPTY)'),
      ),
    ).toBe(true);
  });

  it('refuses the step when it is empty, and does not leave the change in Implement: Review, unsuccessful, nothing ran', async () => {
    const id = await patchChange('db-01', {});
    const done = await inReview(h, id);
    expect(done.close_code).toBe('unsuccessful');
    expect(done.close_notes).toMatch(
      /stopped before any plan step ran: check "test plan written" not met: the ticket does not match test_planISNOTEMPTY \(has test_plan = ""\)\. Nothing was changed\./,
    );
    expect(await h.jobsFor('db-01')).toEqual([]);
  });
});
