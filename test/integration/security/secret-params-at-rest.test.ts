import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { dryRun } from '../../../src/rules/dry-run';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import { buildEngine, fakeCatalog, incidentEvent } from '../engine/harness';

const PLANTED = 'Zq7-one-time-pw-4411';

// The ticket carries a one-time password the step needs; a shadow rule would use it too.
const MAPPING = `
table: incident
rules:
  - id: unlock
    description: Unlock with the password from the ticket
    owner: Security Ops
    risk: high
    condition: short_descriptionLIKEunlock
    params:
      pw: "{{ ticket.short_description | capture: 'pw ([A-Za-z0-9-]+)' }}"
      host: web-01
    secret_params: [pw]
    steps:
      - name: unlock
        use: fake.launch
        with: { host: "{{ params.host }} {{ params.pw }}" }
  - id: unlock-next
    description: The next version of unlock, watched in shadow mode
    owner: Security Ops
    risk: high
    mode: shadow
    condition: short_descriptionLIKEunlock
    params:
      pw: "{{ ticket.short_description | capture: 'pw ([A-Za-z0-9-]+)' }}"
    secret_params: [pw]
    steps:
      - name: unlock
        use: fake.launch
        with: { host: "{{ params.pw }}" }
`;

describe.each(ENGINES)('secret params at rest on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  const rawRows = async () => ({
    pendingAudit: JSON.stringify(await t.store.db.selectFrom('pending_journal').selectAll().execute()),
    runs: JSON.stringify(await t.store.db.selectFrom('runs').selectAll().execute()),
    steps: JSON.stringify(await t.store.db.selectFrom('steps').selectAll().execute()),
    audit: JSON.stringify(await t.store.db.selectFrom('audit_log').selectAll().execute()),
    outbox: JSON.stringify(await t.store.db.selectFrom('outbox').selectAll().execute()),
  });

  it('are stored sealed in the run context, opened only for the step attempt, and shown masked in the shadow audit', async () => {
    const e = buildEngine(t, MAPPING);
    await e.intake.accept(
      incidentEvent('a'.repeat(32), { short_description: `please unlock web-01, pw ${PLANTED}` }),
      'webhook',
    );
    await e.dispatch();

    const stored = await t.store.db.selectFrom('runs').select('context').executeTakeFirstOrThrow();
    const context = JSON.parse(stored.context);
    expect(context.params).toEqual({ host: 'web-01', pw: expect.stringMatching(/^sb1\./) });
    expect(context.sealedParams).toEqual(['pw']);
    for (const [table, text] of Object.entries(await rawRows()))
      expect({ table, clear: text.includes(PLANTED) }).toEqual({ table, clear: false });
    await t.repos.audit.seal();
    const shadow = await t.store.db
      .selectFrom('audit_log')
      .select('detail')
      .where('kind', '=', 'rule.shadow')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(shadow.detail).wouldRun.params).toEqual({ pw: '[redacted]' });

    await e.settle(60_000);
    expect((await e.onlyRun('INCaaaaaaa')).state).toBe('succeeded');
    expect([...e.backend.jobs.values()].map((j) => j.host)).toEqual([`web-01 ${PLANTED}`]);
    for (const [table, text] of Object.entries(await rawRows()))
      expect({ table, clear: text.includes(PLANTED) }).toEqual({ table, clear: false });
  });
});

describe('a dry-run of a rule with secret params', () => {
  it('shows them masked, as params and inside the rendered steps', () => {
    const { ruleSet } = buildRuleSet({ 'incident.yaml': MAPPING }, fakeCatalog);
    const result = dryRun(
      ruleSet!,
      fakeCatalog,
      'incident',
      { short_description: `please unlock web-01, pw ${PLANTED}` },
      'inserted',
    );
    expect(result.explain.unlock!.params).toEqual({ pw: '[redacted]', host: 'web-01' });
    expect(result.steps.find((s) => s.rule === 'unlock')!.with).toEqual({ host: 'web-01 [redacted]' });
    expect(JSON.stringify(result)).not.toContain(PLANTED);
  });
});
