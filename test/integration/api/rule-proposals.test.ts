import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { API_BASE } from '../../../src/api/http-app';
import { apiHarness, tokenFor } from './api-harness';

/** A new rule for incident.yaml, high risk: activating it needs a second person. */
const HIGH_RISK_RULE = `
  - id: restart-database-when-down
    description: Restart a database reported down on its host
    owner: Database Ops
    tags: [remediation, database]
    risk: high
    on: [inserted]
    condition: active=true^short_descriptionLIKEdatabase down on
    steps:
      - name: restart
        use: ansible.launch_job_template
        with:
          job_template: Restart service
          limit: db-01
`;

describe('changing mapping tables through the API (four eyes on high-risk rules)', () => {
  let h: Awaited<ReturnType<typeof apiHarness>>;
  const editor = `Bearer ${tokenFor('erin', ['editor'])}`;
  // Holds both roles, so only the four-eyes rule (not a missing permission) stops them approving their own change.
  const editorApprover = `Bearer ${tokenFor('alice', ['editor', 'approver'])}`;
  const approver = `Bearer ${tokenFor('bob', ['approver'])}`;
  const viewer = `Bearer ${tokenFor('vic', ['viewer'])}`;
  const shipped = (file: string) => readFileSync(join('mappings', file), 'utf8');
  const onDisk = (file: string) => readFileSync(join(h.mappingsDir, file), 'utf8');

  beforeEach(async () => {
    h = await apiHarness({ bodyLimitBytes: 1024 * 1024 });
  });
  afterEach(() => h.close());

  const propose = (auth: string, file: string, content: string, comment?: string) =>
    request(h.app)
      .post(`${API_BASE}/rules/proposals`)
      .set('Authorization', auth)
      .send({ file, content, ...(comment ? { comment } : {}) });
  const decide = (auth: string, id: string, decision: 'approve' | 'reject', comment?: string) =>
    request(h.app)
      .post(`${API_BASE}/rules/proposals/${id}/${decision}`)
      .set('Authorization', auth)
      .send(comment ? { comment } : {});
  const running = async () =>
    (await request(h.app).get(`${API_BASE}/rules`).set('Authorization', viewer)).body as {
      version: string;
      rules: { id: string; risk: string }[];
    };

  it('keeps a high-risk change pending until a different approver approves it; the author cannot', async () => {
    const before = await running();
    const proposed = await propose(
      editorApprover,
      'incident.yaml',
      shipped('incident.yaml') + HIGH_RISK_RULE,
      'database restarts',
    );
    expect(proposed.status).toBe(200);
    expect(proposed.body).toMatchObject({
      state: 'pending',
      author: 'alice',
      highRiskRules: ['restart-database-when-down'],
      baseVersion: before.version,
      comment: 'database restarts',
    });
    expect(proposed.body.diff).toContain('+  - id: restart-database-when-down');

    // Nothing changed yet: same version running, same file on disk.
    expect((await running()).version).toBe(before.version);
    expect(onDisk('incident.yaml')).toBe(shipped('incident.yaml'));

    const own = await decide(editorApprover, proposed.body.id, 'approve');
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('proposal.own_change');
    expect(own.body.error.message).toContain('four eyes');
    expect((await running()).version).toBe(before.version);

    // An editor without the approver role cannot approve anything.
    expect((await decide(editor, proposed.body.id, 'approve')).status).toBe(403);

    const approved = await decide(approver, proposed.body.id, 'approve', 'checked with DBA');
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      state: 'active',
      decidedBy: 'bob',
      decisionComment: 'checked with DBA',
      activatedVersion: proposed.body.version,
    });

    const after = await running();
    expect(after.version).toBe(proposed.body.version);
    expect(after.rules).toContainEqual(expect.objectContaining({ id: 'restart-database-when-down', risk: 'high' }));
    expect(onDisk('incident.yaml')).toContain('restart-database-when-down');
    const versions = (await request(h.app).get(`${API_BASE}/rules/versions`).set('Authorization', viewer)).body;
    expect(versions[0]).toMatchObject({ version: after.version, loaded_by: 'alice, approved by bob' });

    // Approving twice does nothing more.
    expect((await decide(approver, proposed.body.id, 'approve')).body.error.code).toBe('proposal.not_pending');

    const journal = await h.store.repos.audit.list({ subject: 'mappings/incident.yaml', limit: 10 });
    expect(journal.map((e) => [e.kind, e.actor]).reverse()).toEqual([
      ['rules.proposed', 'alice'],
      ['rules.approved', 'bob'],
      ['rules.activated', 'bob'],
    ]);
  });

  it('activates a change that touches no high-risk rule at once, recorded as loaded by its author', async () => {
    const before = await running();
    const content = shipped('incident.yaml').replace(
      'tags: [remediation, linux, service]',
      'tags: [remediation, linux, service, systemd]',
    );
    const proposed = await propose(editor, 'incident.yaml', content);
    expect(proposed.status).toBe(200);
    expect(proposed.body).toMatchObject({ state: 'active', author: 'erin', highRiskRules: [], decidedBy: null });
    const after = await running();
    expect(after.version).not.toBe(before.version);
    expect(after.version).toBe(proposed.body.activatedVersion);
    expect(onDisk('incident.yaml')).toBe(content);
    const versions = (await request(h.app).get(`${API_BASE}/rules/versions`).set('Authorization', viewer)).body;
    expect(versions[0]).toMatchObject({ version: after.version, loaded_by: 'erin' });
  });

  it('refuses an invalid table with every problem as file:line:col, and stores nothing', async () => {
    const broken = shipped('incident.yaml').replace('risk: low', 'risk: extreme');
    const res = await propose(editor, 'incident.yaml', broken);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('input.invalid');
    expect(res.body.error.details).toEqual([
      { path: 'incident.yaml:11:11', message: expect.stringContaining('risk: Invalid option') },
    ]);

    // Cross-file checks run too: an id another table already uses.
    const duplicate = shipped('incident.yaml').replace(
      'id: restart-service-when-down',
      'id: revoke-access-of-compromised-account',
    );
    const dup = await propose(editor, 'incident.yaml', duplicate);
    expect(dup.status).toBe(400);
    expect(dup.body.error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: expect.stringMatching(/^(incident|problem)\.yaml:\d+:\d+$/),
          message: expect.stringContaining('duplicate id'),
        }),
      ]),
    );

    const yamlSyntax = await propose(editor, 'incident.yaml', 'table: incident\nrules: [\n');
    expect(yamlSyntax.status).toBe(400);
    expect(yamlSyntax.body.error.details[0].path).toMatch(/^incident\.yaml:\d+:\d+$/);

    expect((await request(h.app).get(`${API_BASE}/rules/proposals`).set('Authorization', viewer)).body).toEqual([]);
    expect(onDisk('incident.yaml')).toBe(shipped('incident.yaml'));
  });

  it('treats lowering a high-risk rule to low risk as a high-risk change', async () => {
    const lowered = shipped('problem.yaml').replace('risk: high', 'risk: low');
    const res = await propose(editor, 'problem.yaml', lowered);
    expect(res.body).toMatchObject({ state: 'pending', highRiskRules: ['revoke-access-of-compromised-account'] });
  });

  it('rejects a proposal: nothing changes, and it can no longer be approved', async () => {
    const before = await running();
    const proposed = await propose(editor, 'incident.yaml', shipped('incident.yaml') + HIGH_RISK_RULE);
    const rejected = await decide(approver, proposed.body.id, 'reject', 'use the DBA runbook');
    expect(rejected.body).toMatchObject({
      state: 'rejected',
      decidedBy: 'bob',
      decisionComment: 'use the DBA runbook',
    });
    expect((await decide(approver, proposed.body.id, 'approve')).status).toBe(409);
    expect((await running()).version).toBe(before.version);
    const pending = (
      await request(h.app).get(`${API_BASE}/rules/proposals`).query({ state: 'pending' }).set('Authorization', viewer)
    ).body;
    expect(pending).toEqual([]);
  });

  it('refuses to approve a proposal whose file changed since, rather than undo the later change', async () => {
    const risky = await propose(editor, 'incident.yaml', shipped('incident.yaml') + HIGH_RISK_RULE);
    const tagged = shipped('incident.yaml').replace(
      'tags: [remediation, linux, service]',
      'tags: [remediation, linux, service, systemd]',
    );
    expect((await propose(editor, 'incident.yaml', tagged)).body.state).toBe('active');
    const res = await decide(approver, risky.body.id, 'approve');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('proposal.stale');
    expect(onDisk('incident.yaml')).toBe(tagged);
  });

  it('refuses to activate while the directory holds edits that are not running (they would go live unreviewed)', async () => {
    const before = await running();
    writeFileSync(join(h.mappingsDir, 'change.yaml'), shipped('change.yaml').replace('risk: medium', 'risk: low'));
    const tagged = shipped('incident.yaml').replace(
      'tags: [remediation, linux, service]',
      'tags: [remediation, linux, service, systemd]',
    );
    const res = await propose(editor, 'incident.yaml', tagged);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('rules.directory_diverged');
    expect((await running()).version).toBe(before.version);
    expect(onDisk('incident.yaml')).toBe(shipped('incident.yaml'));
  });
});
