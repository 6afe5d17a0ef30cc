import { mkdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { createTwoFilesPatch } from 'diff';
import { connectors } from '../../connectors/registry';
import { mappingCatalog } from '../rules/catalog';
import { buildRuleSet } from '../rules/build-rule-set';
import { mappingFiles } from '../mappings/mapping-files';
import { formatProblem } from '../rules/validation-problem';
import { writeAtomically } from '../mappings/write-atomically';
import { type Repositories, inTransaction } from '../store';
import { withConfiguredStore as withStore } from './configured-store';
import { issueToken } from '../security/jwt';
import { configOrExit } from './load-config';

async function sourcesOrExit(versions: Repositories['ruleVersions'], version: string): Promise<Record<string, string>> {
  const sources = await versions.sources(version);
  if (!sources) fail(`no stored version ${version} (see snowline rules history)`);
  return sources;
}

/** `snowline rules history | diff A B | rollback VERSION`: the stored versions of the mapping tables. */
export function rulesCommand(): Command {
  const rules = new Command('rules').description('versions of the mapping tables');
  rules
    .command('history')
    .description('versions loaded, newest first, with who loaded them and when')
    .action(() =>
      withStore(async (_store, { ruleVersions }) => {
        for (const v of await ruleVersions.list(200))
          process.stdout.write(`${v.version}  ${new Date(Number(v.loaded_at)).toISOString()}  ${v.loaded_by}\n`);
      }),
    );
  rules
    .command('diff')
    .description('unified diff of the files of two stored versions')
    .argument('<from>', 'version')
    .argument('<to>', 'version')
    .action((from: string, to: string) =>
      withStore(async (_store, { ruleVersions }) => {
        const [a, b] = [await sourcesOrExit(ruleVersions, from), await sourcesOrExit(ruleVersions, to)];
        for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
          if (a[name] === b[name]) continue;
          process.stdout.write(createTwoFilesPatch(`${from}/${name}`, `${to}/${name}`, a[name] ?? '', b[name] ?? ''));
        }
      }),
    );
  rules
    .command('rollback')
    .description(
      'write the files of a stored version back into the mappings directory (a running server reloads them); journaled in the audit log',
    )
    .argument('<version>', 'version')
    .action((version: string) =>
      withStore(async (store, repos, config) => {
        const sources = await sourcesOrExit(repos.ruleVersions, version);
        const { ruleSet, problems } = buildRuleSet(sources, mappingCatalog(connectors));
        if (!ruleSet)
          fail(
            `version ${version} no longer validates (connectors changed?):\n${problems.map(formatProblem).join('\n')}`,
          );
        const dir = config.mappings.dir;
        for (const name of mappingFiles(dir)) if (!(name in sources)) rmSync(join(dir, name));
        // Atomic per file: a server hot-reloading meanwhile never reads half a file.
        for (const [name, text] of Object.entries(sources)) {
          mkdirSync(dirname(join(dir, name)), { recursive: true });
          await writeAtomically(join(dir, name), text);
        }
        // A rollback needs no second person (it restores a version that ran before), so the journal says who did it.
        await inTransaction(store, (trx) =>
          repos.audit.append(
            trx,
            {
              kind: 'rules.rolled_back',
              actor: `cli:${userInfo().username}`,
              subject: 'mappings',
              detail: { version, dir },
            },
            Date.now(),
          ),
        );
        process.stdout.write(`${dir} now holds version ${version}\n`);
      }),
    );
  rules
    .command('reload')
    .description(
      'make the running server read the mapping tables now (as SIGHUP does); exits 1 when the files are invalid',
    )
    .option('--url <url>', 'the running server (default http://127.0.0.1:$PORT)')
    .action(async (options: { url?: string }) => {
      const config = configOrExit();
      const url = options.url ?? `http://127.0.0.1:${config.server.port}`;
      const { jwtSecret: secret, jwtIssuer: issuer, jwtAudience: audience } = config.security;
      const token = issueToken({ secret, issuer, audience }, `cli:${userInfo().username}`, ['editor'], 60);
      const response = await fetch(`${url}/api/v1/rules/reload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      }).catch((err: Error) => fail(`cannot reach ${url} (${err.message}); is snowline serve running there?`));
      if (!response.ok) fail(`${url} answered ${response.status}: ${await response.text()}`);
      const result = (await response.json()) as { applied: boolean; version: string; problems: string[] };
      for (const problem of result.problems) process.stdout.write(`${problem}\n`);
      if (result.problems.length > 0) fail(`files refused; version ${result.version} keeps running`);
      process.stdout.write(`${result.applied ? 'reloaded' : 'unchanged'}: version ${result.version}\n`);
    });
  return rules;
}

function fail(message: string): never {
  process.stderr.write(`snowline rules: ${message}\n`);
  process.exit(1);
}
