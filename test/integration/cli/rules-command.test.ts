import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectors } from '../../../connectors/registry';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { mappingCatalog } from '../../../src/rules/catalog';
import { loadRuleSet } from '../../../src/mappings/mapping-files';
import { createRuleReloader } from '../../../src/mappings/rule-reloader';
import { openStore, repositories } from '../../../src/store';
import { runCli } from '../../helpers/run-cli';

/** A second incident table, added by the second version. */
const EXTRA_TABLE = `table: incident
rules:
  - id: restart-database-when-down
    description: Restart a database reported down on its host
    owner: Database Ops
    tags: [remediation, database]
    risk: medium
    on: [inserted]
    condition: active=true^short_descriptionLIKEdatabase down on
    steps:
      - name: restart
        use: ansible.launch_job_template
        with:
          job_template: Restart service
          limit: db-01
`;

describe('snowline rules history | diff | rollback', () => {
  let root: string;
  let dir: string;
  let env: Record<string, string>;
  let first: string;
  let second: string;
  const catalog = mappingCatalog(connectors);

  // Two versions, loaded the way `serve` loads them: the shipped tables, then a retitled rule and a new file.
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'snowline-cli-'));
    dir = join(root, 'mappings');
    cpSync('mappings', dir, { recursive: true });
    env = { SNOWLINE_DB: join(root, 'snowline.db'), SNOWLINE_MAPPINGS: dir };
    const store = await openStore({ sqlitePath: env.SNOWLINE_DB! });
    const clock = [Date.parse('2026-12-01T09:00:00Z'), Date.parse('2026-12-01T10:30:00Z')];
    const { reloader } = await createRuleReloader({
      dir,
      catalog,
      versions: repositories(store).ruleVersions,
      logger: silentLogger(),
      metrics: createMetrics(),
      loadedBy: 'serve@host-a',
      now: () => clock.shift()!,
    });
    first = reloader!.current().version;
    const incident = readFileSync(join(dir, 'incident.yaml'), 'utf8');
    writeFileSync(
      join(dir, 'incident.yaml'),
      incident.replace('Restart a service reported down on a Linux host', 'Restart a failed service on a Linux host'),
    );
    writeFileSync(join(dir, 'database.yaml'), EXTRA_TABLE);
    second = (await reloader!.reload('alice')).version;
    await reloader!.stop();
    await store.close();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists the versions newest first with who loaded them and when', async () => {
    const { code, stdout } = await runCli(['rules', 'history'], env);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${second}  2026-12-01T10:30:00.000Z  alice`);
    expect(lines[1]).toBe(`${first}  2026-12-01T09:00:00.000Z  serve@host-a`);
  });

  it('prints a unified diff of the files that differ between two versions', async () => {
    const { code, stdout } = await runCli(['rules', 'diff', first, second], env);
    expect(code).toBe(0);
    expect(stdout).toContain(`--- ${first}/incident.yaml`);
    expect(stdout).toContain(`+++ ${second}/incident.yaml`);
    expect(stdout).toContain('-    description: Restart a service reported down on a Linux host');
    expect(stdout).toContain('+    description: Restart a failed service on a Linux host');
    expect(stdout).toContain(`+++ ${second}/database.yaml`);
    expect(stdout).not.toContain('problem.yaml');
  });

  it('names an unknown version and exits 1', async () => {
    const { code, stderr } = await runCli(['rules', 'diff', first, 'nosuchversion'], env);
    expect(code).toBe(1);
    expect(stderr).toContain('no stored version nosuchversion');
  });

  it('rolls the directory back to a stored version: changed files restored, added files removed', async () => {
    const { code, stdout } = await runCli(['rules', 'rollback', first], env);
    expect(code).toBe(0);
    expect(stdout).toContain(`now holds version ${first}`);
    expect(existsSync(join(dir, 'database.yaml'))).toBe(false);
    expect(readFileSync(join(dir, 'incident.yaml'), 'utf8')).toBe(readFileSync('mappings/incident.yaml', 'utf8'));
    expect(loadRuleSet(dir, catalog).ruleSet?.version).toBe(first);
    const store = await openStore({ sqlitePath: env.SNOWLINE_DB! });
    const journal = await repositories(store).audit.list({ subject: 'mappings', limit: 5 });
    await store.close();
    expect(journal).toEqual([
      expect.objectContaining({
        kind: 'rules.rolled_back',
        actor: expect.stringMatching(/^cli:/),
        detail: JSON.stringify({ version: first, dir }),
      }),
    ]);
  });
});
