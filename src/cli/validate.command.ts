import { Command } from 'commander';
import { connectors } from '../../connectors/registry';
import { mappingCatalog } from '../rules/catalog';
import { loadRuleSet } from '../mappings/mapping-files';
import { formatProblem } from '../rules/validation-problem';

/** `snowline validate [dir]`: every problem as `file:line:col message`; exit 1 on any. For the ops team's CI. */
export function validateCommand(): Command {
  return new Command('validate')
    .description('check mapping tables; prints file:line:col message per problem, exits 1 on any')
    .argument('[dir]', 'mapping tables directory', process.env.SNOWLINE_MAPPINGS ?? 'mappings')
    .action((dir: string) => {
      const { ruleSet, problems } = loadRuleSet(dir, mappingCatalog(connectors));
      for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
      if (!ruleSet) {
        process.stderr.write(`${problems.length} problem(s) in ${dir}\n`);
        process.exit(1);
      }
      const count = [...ruleSet.byTable.values()].reduce((n, rules) => n + rules.length, 0);
      process.stderr.write(`${dir}: ${count} rule(s) valid, version ${ruleSet.version}\n`);
    });
}
