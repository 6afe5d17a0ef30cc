import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connectors } from '../../../connectors/registry';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { mappingCatalog } from '../../../src/rules/catalog';
import { createRuleProposals } from '../../../src/mappings/rule-proposals';
import { createRuleReloader } from '../../../src/mappings/rule-reloader';
import type { RuleProposalRow } from '../../../src/store/schema';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

const proposal = (id: string, createdAt: number): RuleProposalRow => ({
  id,
  file: 'incident.yaml',
  content: 'table: incident\nrules: []\n',
  base_content: null,
  base_version: 'v0',
  version: 'v1',
  high_risk_rules: '["r"]',
  state: 'pending',
  author: 'alice',
  comment: null,
  created_at: createdAt,
  decided_by: null,
  decision_comment: null,
  decided_at: null,
  activated_version: null,
  activated_at: null,
});

describe.each(ENGINES)('rule proposals on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  it('keeps proposals, lists them newest first by state, and settles a pending one only once', async () => {
    await t.repos.ruleProposals.create(t.store.db, proposal('p1', 1000));
    await t.repos.ruleProposals.create(t.store.db, proposal('p2', 2000));
    expect((await t.repos.ruleProposals.list({ limit: 10 })).map((p) => p.id)).toEqual(['p2', 'p1']);

    expect(
      await t.repos.ruleProposals.settle(t.store.db, 'p1', { state: 'rejected', decided_by: 'bob', decided_at: 3000 }),
    ).toBe(true);
    // A second decision (another instance, a double click) finds it no longer pending.
    expect(
      await t.repos.ruleProposals.settle(t.store.db, 'p1', {
        state: 'active',
        decided_by: 'carol',
        decided_at: 3001,
        activated_version: 'v1',
      }),
    ).toBe(false);
    expect(await t.repos.ruleProposals.find('p1')).toMatchObject({
      state: 'rejected',
      decided_by: 'bob',
      decided_at: 3000,
      activated_version: null,
    });
    expect((await t.repos.ruleProposals.list({ state: 'pending', limit: 10 })).map((p) => p.id)).toEqual(['p2']);
    expect(await t.repos.ruleProposals.find('nope')).toBeUndefined();
  });

  it('activates an approved high-risk proposal through the files and the reloader, journaled in the audit chain', async () => {
    const dir = mkdtempSync(join(dirname(t.options.sqlitePath), 'mappings-'));
    cpSync('mappings', dir, { recursive: true });
    const catalog = mappingCatalog(connectors);
    const logger = silentLogger();
    const { reloader } = await createRuleReloader({
      dir,
      catalog,
      versions: t.repos.ruleVersions,
      logger,
      metrics: createMetrics(),
      loadedBy: 'test@host',
    });
    const proposals = createRuleProposals({ dir, catalog, rules: reloader!, store: t.store, repos: t.repos, logger });
    const content = readFileSync(join(dir, 'problem.yaml'), 'utf8').replace(
      'description: Lock a compromised account',
      'description: Lock at once a compromised account',
    );

    const pending = await proposals.propose({ file: 'problem.yaml', content, author: 'alice' });
    expect(pending.state).toBe('pending');
    const active = await proposals.approve(pending.id, 'bob');
    expect(active).toMatchObject({ state: 'active', decided_by: 'bob', activated_version: pending.version });
    expect(reloader!.current().version).toBe(pending.version);
    expect((await t.repos.ruleVersions.list(1))[0]).toMatchObject({
      version: pending.version,
      loaded_by: 'alice, approved by bob',
    });
    expect(
      (await t.repos.audit.list({ subject: 'mappings/problem.yaml', limit: 10 })).map((e) => e.kind).reverse(),
    ).toEqual(['rules.proposed', 'rules.approved', 'rules.activated']);
    expect(await t.repos.audit.verify()).toMatchObject({ ok: true });
  });
});
