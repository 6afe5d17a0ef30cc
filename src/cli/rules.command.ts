import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { createTwoFilesPatch } from 'diff';
import { connectors } from '../../connectors/registry';
import { mappingCatalog } from '../rules/catalog';
import { buildRuleSet } from '../rules/load-rule-set';
import { formatProblem } from '../rules/validation-problem';
import { openStore, repositories } from '../store';
import { configOrExit } from './load-config';

async function withVersions<T>(work: (versions: ReturnType<typeof repositories>['ruleVersions']) => Promise<T>): Promise<T> {
  const config = configOrExit();
  const store = await openStore({ sqlitePath: config.store.sqlitePath, postgresUrl: config.store.postgresUrl });
  try {
    return await work(repositories(store).ruleVersions);
  } finally {
    await store.close();
  }
}

async function sourcesOrExit(versions: ReturnType<typeof repositories>['ruleVersions'], version: string): Promise<Record<string, string>> {
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
      withVersions(async (versions) => {
        for (const v of await versions.list(200)) process.stdout.write(`${v.version}  ${new Date(Number(v.loaded_at)).toISOString()}  ${v.loaded_by}\n`);
      }),
    );
  rules
    .command('diff')
    .description('unified diff of the files of two stored versions')
    .argument('<from>', 'version')
    .argument('<to>', 'version')
    .action((from: string, to: string) =>
      withVersions(async (versions) => {
        const [a, b] = [await sourcesOrExit(versions, from), await sourcesOrExit(versions, to)];
        for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
          if (a[name] === b[name]) continue;
          process.stdout.write(createTwoFilesPatch(`${from}/${name}`, `${to}/${name}`, a[name] ?? '', b[name] ?? ''));
        }
      }),
    );
  rules
    .command('rollback')
    .description('write the files of a stored version back into the mappings directory (a running server reloads them)')
    .argument('<version>', 'version')
    .action((version: string) =>
      withVersions(async (versions) => {
        const sources = await sourcesOrExit(versions, version);
        const { ruleSet, problems } = buildRuleSet(sources, mappingCatalog(connectors));
        if (!ruleSet) fail(`version ${version} no longer validates (connectors changed?):\n${problems.map(formatProblem).join('\n')}`);
        const dir = configOrExit().mappings.dir;
        for (const name of yamlFilesIn(dir)) if (!(name in sources)) rmSync(join(dir, name));
        for (const [name, text] of Object.entries(sources)) {
          mkdirSync(dirname(join(dir, name)), { recursive: true });
          writeFileSync(join(dir, name), text);
        }
        process.stdout.write(`${dir} now holds version ${version}\n`);
      }),
    );
  return rules;
}

/** The mapping files a version consists of: top-level YAML files and templates/. */
function yamlFilesIn(dir: string): string[] {
  const list = (folder: string, prefix: string) => (existsSync(folder) ? readdirSync(folder).filter((n) => /\.ya?ml$/.test(n) && !/\.cases\.ya?ml$/.test(n)).map((n) => `${prefix}${n}`) : []);
  return [...list(dir, ''), ...list(join(dir, 'templates'), 'templates/')];
}

function fail(message: string): never {
  process.stderr.write(`snowline rules: ${message}\n`);
  process.exit(1);
}
