import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/observability/logger';
import { createAnchorWriter } from '../../../src/security/audit-anchor';
import { runCli } from '../../helpers/run-cli';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

// Each case starts several `snowline` processes on a loaded CI machine; one that could not start at
// all (exit 2, its stderr logged by runCli) is retried once rather than failing the suite.
jest.retryTimes(1, { logErrorsBeforeRetry: true });

/**
 * `snowline audit verify` reads the store serve writes (the PostgreSQL schema too) and checks the
 * chain against anchors kept outside it (issue "Security hardening" items 1 and 7).
 */
describe.each(ENGINES)('snowline audit verify on %s', (engine) => {
  jest.setTimeout(120_000);
  let t: TestStore;
  let anchors: { file: string; key: string };
  beforeEach(async () => {
    t = await openTestStore(engine);
    anchors = {
      file: join(mkdtempSync(join(tmpdir(), 'anchors-')), 'audit-anchors.jsonl'),
      key: 'k'.repeat(8) + 'anchor-key-for-tests-0123456789',
    };
  });
  afterEach(() => t.close());

  const envOf = (store: TestStore) => ({
    SNOWLINE_DB: store.options.sqlitePath,
    ...(store.options.postgresUrl
      ? { DATABASE_URL: store.options.postgresUrl, SNOWLINE_DB_SCHEMA: store.options.postgresSchema! }
      : {}),
    SNOWLINE_AUDIT_ANCHOR_FILE: anchors.file,
    SNOWLINE_AUDIT_ANCHOR_KEY: anchors.key,
  });
  const append = async (n: number) => {
    for (let i = 0; i < n; i++)
      await t.store.db
        .transaction()
        .execute((trx) =>
          t.repos.audit.append(
            trx,
            { kind: 'rule.matched', actor: 'snowline', subject: `INC${i}`, detail: { i } },
            Date.now(),
          ),
        );
  };

  it('verifies the journal of the configured store and schema against its anchor', async () => {
    await append(3);
    await createAnchorWriter(t.repos.audit, anchors, silentLogger())();
    const result = await runCli(['audit', 'verify'], envOf(t));
    expect(result).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/intact: 3 entries verified; anchored at entry 3 on .* ago/),
    });
  });

  it('detects that the newest entries were deleted', async () => {
    await append(3);
    await createAnchorWriter(t.repos.audit, anchors, silentLogger())();
    await t.store.db.deleteFrom('audit_log').where('seq', '=', 3).execute();
    const result = await runCli(['audit', 'verify'], envOf(t));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/ALTERED: entries 3–3 were deleted/);
  });

  it('detects a journal rebuilt from scratch, and a store or schema that holds no journal', async () => {
    await append(2);
    await createAnchorWriter(t.repos.audit, anchors, silentLogger())();
    await t.store.db.deleteFrom('audit_log').execute();
    await append(2);
    const rebuilt = await runCli(['audit', 'verify'], envOf(t));
    expect(rebuilt.code).toBe(1);
    expect(rebuilt.stdout).toMatch(/no anchor in .* belongs to this journal/);
    const other = await openTestStore(engine);
    try {
      const empty = await runCli(['audit', 'verify'], envOf(other));
      expect(empty.code).toBe(1);
      expect(empty.stdout).toMatch(/no audit journal in this store, but .* holds anchors/);
    } finally {
      await other.close();
    }
  });
});
