import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/observability/logger';
import { createAnchorWriter } from '../../../src/security/audit-anchor';
import { writeHistory } from '../../bench/history';
import { runCli } from '../../helpers/run-cli';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

// Each case starts several `snowline` processes on a loaded CI machine; one that could not start at
// all (exit 2, its stderr logged by runCli) is retried once rather than failing the suite.
jest.retryTimes(1, { logErrorsBeforeRetry: true });

const DAY = 86_400_000;

/** `snowline retention run`, `archive find` and `audit verify` against the store serve writes. */
describe.each(ENGINES)('snowline retention run | archive find on %s', (engine) => {
  jest.setTimeout(180_000);
  let t: TestStore;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await openTestStore(engine);
    const dir = mkdtempSync(join(tmpdir(), 'retention-cli-'));
    const anchors = { file: join(dir, 'anchors.jsonl'), key: 'retention-cli-anchor-key-0123456789' };
    writeFileSync(
      join(dir, 'site.yaml'),
      `retention:\n  runsDays: 30\n  auditDays: 30\n  archive:\n    dir: ${join(dir, 'archive')}\n`,
    );
    env = {
      SNOWLINE_CONFIG: join(dir, 'site.yaml'),
      SNOWLINE_DB: t.options.sqlitePath,
      ...(t.options.postgresUrl
        ? { DATABASE_URL: t.options.postgresUrl, SNOWLINE_DB_SCHEMA: t.options.postgresSchema! }
        : {}),
      SNOWLINE_AUDIT_ANCHOR_FILE: anchors.file,
      SNOWLINE_AUDIT_ANCHOR_KEY: anchors.key,
    };
    const old = Date.now() - 60 * DAY;
    await writeHistory(t.store, {
      runs: ['a', 'b'].map((id, i) => ({
        id: `old-${id}`,
        rule: 'restart-service',
        ticket: 'INC0000042',
        state: 'succeeded' as const,
        createdAt: old + i,
        steps: [{ name: 'restart', connector: 'ansible', action: 'launch', state: 'succeeded', durationMs: 5 }],
        manualBy: { actor: 'bob', groups: [] },
      })),
    });
    await t.store.db
      .transaction()
      .execute((trx) =>
        t.repos.audit.append(trx, { kind: 'run.retried', actor: 'bob', subject: 'INC1', detail: {} }, Date.now()),
      );
    await createAnchorWriter(t.repos.audit, anchors, silentLogger())();
  });
  afterAll(() => t.close());

  it('a dry run lists what would go; the run archives it; archive find shows it; audit verify still holds', async () => {
    const dry = await runCli(['retention', 'run', '--dry-run'], env);
    expect(dry.stdout).toMatch(/dry run: nothing changed/);
    expect(dry.stdout).toMatch(/runs\s+30 d\s+2/);
    expect(dry.stdout).toMatch(/audit entries\s+30 d\s+2/);

    const pruned = await runCli(['retention', 'run', '--json'], env);
    expect(pruned.code).toBe(0);
    expect(JSON.parse(pruned.stdout)).toMatchObject({ dryRun: false, runs: 2, auditEntries: 2 });

    const found = await runCli(['archive', 'find', '--ticket', 'INC0000042', '--json'], env);
    const { runs } = JSON.parse(found.stdout) as { runs: { run: { id: string }; steps: unknown[] }[] };
    expect(runs.map((r) => r.run.id).sort()).toEqual(['old-a', 'old-b']);
    expect(runs[0]!.steps).toHaveLength(1);

    const verified = await runCli(['audit', 'verify'], env);
    expect(verified).toMatchObject({ code: 0, stdout: expect.stringMatching(/intact: 1 entries verified/) });
  });
});
