import { Writable } from 'node:stream';
import winston from 'winston';
import { toRunView } from '../../../src/api/run-view';
import { createLogger, type Logger } from '../../../src/observability/logger';
import { redactText } from '../../../src/observability/redact';
import { dryRun } from '../../../src/rules/dry-run';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import { createPamProvider } from '../../../src/security/pam.provider';
import { createVaultProvider } from '../../../src/security/vault.provider';
import { startPam, startVault } from '../../helpers/credential-servers';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, fakeCatalog, incidentEvent } from '../engine/harness';

const VAULT_TOKEN = 'hvs.test-token-of-snowline';

const mapping = (use = 'fake.launch', gates = '[approval]') => `
table: incident
rules:
  - id: rotate-db
    description: Work on the database as its admin, after approval
    owner: DBA
    risk: high
    condition: short_descriptionLIKEis down on
    steps:
      - name: fix
        use: ${use}
        gates: ${gates}
        privileged: true
        credential: db-admin
        with: { host: "{{ credential.username }}:{{ credential.password }}@db-01" }
    writeback:
      success: { work_note: "fixed: {{ steps.fix.job }}" }
      failure: { work_note: "not fixed: {{ error }}" }
`;

describe.each(ENGINES)('a privileged step on %s', (engine) => {
  const leasesOf = (runId: string) =>
    t.store.db.selectFrom('privilege_leases').selectAll().where('run_id', '=', runId).execute();
  let t: TestStore;
  let vault: Awaited<ReturnType<typeof startVault>>;
  beforeEach(async () => {
    t = await openTestStore(engine);
    vault = await startVault(VAULT_TOKEN);
  });
  afterEach(async () => {
    await vault.close();
    await t.close();
  });

  const engineWithVault = (use?: string, logger?: Logger) =>
    buildEngine(t, mapping(use), {
      logger,
      privilege: {
        providers: {
          vault: createVaultProvider({ type: 'vault', url: vault.url, token: VAULT_TOKEN, timeoutMs: 5000 }),
        },
        credentials: { 'db-admin': { provider: 'vault', path: 'database/creds/db-admin' } },
      },
    });

  it('gets its credential only after approval, uses it for the attempt, and has the lease revoked after; grant and release are audited without the secret', async () => {
    const e = engineWithVault();
    await e.intake.accept(incidentEvent('a'.repeat(32), { short_description: 'postgres is down on db-01' }), 'webhook');
    await e.settle(10 * 60_000);
    let run = await e.onlyRun('INCaaaaaaa');
    expect(run.steps[0]!.waiting_for).toBe('gate approval: waiting for approval by an approver');
    expect(vault.state.reads).toBe(0);

    await e.control.decide(run.id, 'approved', 'beth.anglin');
    await e.settle(60_000);
    run = await e.onlyRun('INCaaaaaaa');
    expect(run.steps[0]!.error).toBeNull();
    expect(run.state).toBe('succeeded');
    const [[leaseId, issued]] = [...vault.leases.entries()] as [[string, { password: string; revoked: boolean }]];
    expect([...e.backend.jobs.values()].map((j) => j.host)).toEqual([`v-snowline-db-admin:${issued.password}@db-01`]);
    expect(issued.revoked).toBe(true);

    await t.repos.audit.seal();
    const audit = await t.store.db
      .selectFrom('audit_log')
      .select(['kind', 'detail'])
      .where('kind', 'like', 'privilege.%')
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.kind)).toEqual(['privilege.granted', 'privilege.released']);
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({
      runId: run.id,
      step: 'fix',
      credential: 'db-admin',
      provider: 'vault',
      leaseId,
      approvedBy: 'beth.anglin',
      leaseSeconds: 600,
    });
    expect(JSON.parse(audit[1]!.detail)).toMatchObject({ leaseId, reason: 'step succeeded' });
    expect(await leasesOf(run.id)).toEqual([
      expect.objectContaining({ lease_id: leaseId, approved_by: 'beth.anglin', released_at: expect.any(Number) }),
    ]);

    // The secret is in none of the stored rows, and the redactor masks it wherever it might be printed.
    for (const table of [
      'runs',
      'steps',
      'audit_log',
      'pending_journal',
      'outbox',
      'privilege_leases',
      'approvals',
    ] as const) {
      const rows = JSON.stringify(await t.store.db.selectFrom(table).selectAll().execute());
      expect({ table, leaked: rows.includes(issued.password) }).toEqual({ table, leaked: false });
    }
    expect(redactText(`connected with ${issued.password}`)).toBe('connected with [redacted]');
  });

  it('is refused without checking anything out when the approver rejects it', async () => {
    const e = engineWithVault();
    await e.intake.accept(incidentEvent('b'.repeat(32), { short_description: 'postgres is down on db-01' }), 'webhook');
    await e.settle(60_000);
    await e.control.decide((await e.onlyRun('INCbbbbbbb')).id, 'rejected', 'beth.anglin', 'not today');
    await e.settle(60_000);
    expect((await e.onlyRun('INCbbbbbbb')).state).toBe('refused');
    expect(vault.state.reads).toBe(0);
  });

  it('gives the lease back when the attempt fails, and when a step waiting on backend work is cancelled', async () => {
    const logLines: string[] = [];
    const logger = createLogger('debug');
    logger.clear();
    logger.add(
      new winston.transports.Stream({
        stream: new Writable({
          write(chunk, _enc, done) {
            logLines.push(String(chunk));
            done();
          },
        }),
      }),
    );
    // The backend's error quotes its parameters, credential included.
    const failing = engineWithVault('fake.fail', logger);
    await failing.intake.accept(
      incidentEvent('c'.repeat(32), { short_description: 'postgres is down on db-01' }),
      'webhook',
    );
    await failing.settle(60_000);
    await failing.control.decide((await failing.onlyRun('INCccccccc')).id, 'approved', 'beth.anglin');
    await failing.settle(60_000);
    const failed = await failing.onlyRun('INCccccccc');
    expect(failed.state).toBe('failed');
    const [issued] = [...vault.leases.values()];
    expect(issued!.revoked).toBe(true);
    const runView = JSON.stringify(toRunView(failed));
    expect(runView).toContain('deploy to [redacted]:[redacted]@db-01 failed'); // every field of the credential is masked
    expect(logLines.join('')).toContain('privileged credential released');
    for (const [channel, text] of Object.entries({
      logs: logLines.join(''),
      runView,
      workNotes: JSON.stringify(failing.instance.patches),
    })) {
      expect({ channel, leaked: text.includes(issued!.password) }).toEqual({ channel, leaked: false });
    }

    vault.leases.clear();
    const slow = engineWithVault('fake.slow');
    await slow.intake.accept(
      incidentEvent('d'.repeat(32), { short_description: 'postgres is down on db-01' }),
      'webhook',
    );
    await slow.settle(60_000);
    const run = await slow.onlyRun('INCddddddd');
    await slow.control.decide(run.id, 'approved', 'beth.anglin');
    await slow.settle(60_000);
    // The backend job runs with the credential: the lease is held while the step waits on it.
    expect((await slow.onlyRun('INCddddddd')).steps[0]!.state).toBe('waiting');
    expect([...vault.leases.values()].map((l) => l.revoked)).toEqual([false]);
    await slow.control.cancel(run.id, 'oliver.ops');
    expect(await slow.privilege!.sweep()).toBe(1);
    expect([...vault.leases.values()].map((l) => l.revoked)).toEqual([true]);
    await t.repos.audit.seal();
    const released = await t.store.db
      .selectFrom('audit_log')
      .select('detail')
      .where('kind', '=', 'privilege.released')
      .execute();
    expect(released.map((r) => JSON.parse(r.detail).reason)).toEqual(['step failed', 'step cancelled']);
  });

  it('releases a lease left by a worker that died mid-attempt once the attempt is abandoned', async () => {
    const e = engineWithVault();
    await e.intake.accept(incidentEvent('f'.repeat(32), { short_description: 'postgres is down on db-01' }), 'webhook');
    await e.dispatch();
    const run = await e.onlyRun('INCfffffff');
    const step = run.steps[0]!;
    // A worker claimed the step, got the credential, and died before the attempt ended.
    await t.store.db
      .updateTable('steps')
      .set({ state: 'starting', lease_owner: 'dead-worker', lease_until: e.clock.now + 10_000 })
      .where('id', '=', step.id)
      .execute();
    await e.privilege!.grant({ run, step, credential: 'db-admin', approvedBy: 'beth.anglin' });
    expect(await e.privilege!.sweep()).toBe(0);
    e.clock.now += 10_001;
    expect(await e.privilege!.sweep()).toBe(1);
    expect([...vault.leases.values()].map((l) => l.revoked)).toEqual([true]);
    expect(await leasesOf(run.id)).toEqual([expect.objectContaining({ released_at: e.clock.now })]);
  });

  it('retries the step when the provider is down, holding no lease meanwhile', async () => {
    const e = engineWithVault();
    await e.intake.accept(incidentEvent('e'.repeat(32), { short_description: 'postgres is down on db-01' }), 'webhook');
    await e.settle(60_000);
    const run = await e.onlyRun('INCeeeeeee');
    vault.state.down = true;
    await e.control.decide(run.id, 'approved', 'beth.anglin');
    await e.settle(1000);
    expect((await e.onlyRun('INCeeeeeee')).steps[0]).toMatchObject({
      state: 'pending',
      error: expect.stringContaining('vault read database/creds/db-admin: the provider answered HTTP 503'),
    });
    expect(await leasesOf(run.id)).toEqual([]);
    vault.state.down = false;
    await e.settle(60_000);
    expect((await e.onlyRun('INCeeeeeee')).state).toBe('succeeded');
  });
});

describe('privileged steps in the mapping tables', () => {
  it('must pass the approval gate and name a credential', () => {
    const { problems } = buildRuleSet({ 'incident.yaml': mapping('fake.launch', '[]') }, fakeCatalog);
    expect(problems.map((p) => p.message)).toEqual([
      'rule rotate-db: a privileged step must pass the approval gate first (gates: [approval])',
    ]);
    const noCredential = mapping()
      .replace('        credential: db-admin\n', '')
      .replace('{{ credential.username }}:{{ credential.password }}@', '');
    expect(buildRuleSet({ 'incident.yaml': noCredential }, fakeCatalog).problems.map((p) => p.message)).toEqual([
      'rule rotate-db: a privileged step needs credential: <name under privilege.credentials>',
    ]);
    const leaking = mapping().replace('"fixed: {{ steps.fix.job }}"', '"fixed with {{ credential.password }}"');
    expect(buildRuleSet({ 'incident.yaml': leaking }, fakeCatalog).problems.map((p) => p.message)).toEqual([
      'rule rotate-db: template: credential is only known in the with of a privileged step',
    ]);
  });

  it('cannot be rollback steps of a change, which run without gates', () => {
    const change = `
table: change_request
rules:
  - id: patch
    description: Patch a host
    owner: Linux Ops
    risk: high
    gates: [change]
    steps: [{ name: patch, use: fake.launch, with: { host: web-01 } }]
    change:
      rollback:
        - { name: restore, use: fake.launch, gates: [approval], privileged: true, credential: db-admin, with: { host: web-01 } }
`;
    expect(buildRuleSet({ 'change_request.yaml': change }, fakeCatalog).problems.map((p) => p.message)).toEqual([
      'rule patch: a rollback step cannot be privileged: rollback steps run without gates, so no approval precedes the checkout',
    ]);
  });

  it('show in a dry-run where the credential goes, without one', () => {
    const { ruleSet } = buildRuleSet({ 'incident.yaml': mapping() }, fakeCatalog);
    const result = dryRun(
      ruleSet!,
      fakeCatalog,
      'incident',
      { short_description: 'postgres is down on db-01' },
      'inserted',
    );
    expect(result.steps).toEqual([
      expect.objectContaining({
        name: 'fix',
        with: {
          host: '(db-admin.username, checked out at run time):(db-admin.password, checked out at run time)@db-01',
        },
      }),
    ]);
  });
});

describe('the PAM provider', () => {
  it('checks the account out with the run as its reason, and checks it in on release, inside logged-off sessions', async () => {
    const pam = await startPam({ username: 'svc_snowline', password: 'pam-pw' }, { '12_34': 'R00t!pw' });
    try {
      const provider = createPamProvider({
        type: 'pam',
        url: pam.url,
        username: 'svc_snowline',
        password: 'pam-pw',
        authMethod: 'CyberArk',
        timeoutMs: 5000,
      });
      const spec = { provider: 'pam', account: '12_34', username: 'root' };
      const grant = await provider.checkout(spec, {
        runId: 'run-1',
        step: 'fix',
        ticket: 'INC0010001',
        approvedBy: 'beth.anglin',
        ttlSeconds: 600,
      });
      expect(grant).toEqual({ leaseId: '12_34', secret: { password: 'R00t!pw', username: 'root' } });
      expect(pam.checkedOut.get('12_34')).toBe('Snowline run run-1 step fix, approved by beth.anglin');
      await expect(
        provider.checkout(spec, {
          runId: 'run-2',
          step: 'fix',
          ticket: 'INC0010002',
          approvedBy: 'x',
          ttlSeconds: 600,
        }),
      ).rejects.toThrow('pam checkout of account 12_34: the provider answered HTTP 409');
      await provider.release(spec, grant.leaseId);
      expect(pam.log).toEqual(['checkout 12_34 ticket=INC0010001', 'checkin 12_34']);
      expect(pam.sessions.size).toBe(0);
    } finally {
      await pam.close();
    }
  });
});
