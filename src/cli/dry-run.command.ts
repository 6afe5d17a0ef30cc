import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { connectors } from '../../connectors/registry';
import { fieldsOf } from '../../connectors/servicenow/dictionary';
import { rawValue } from '../../connectors/servicenow/schemas';
import { mappingCatalog } from '../rules/catalog';
import { withConfiguredInstance } from './cli-input';
import { dryRun, type DryRunResult } from '../rules/dry-run';
import { loadRuleSet } from '../mappings/mapping-files';
import { formatProblem } from '../rules/validation-problem';
import { configOrExit } from './load-config';

interface DryRunOptions {
  table: string;
  record?: string;
  sysId?: string;
  trigger?: 'inserted' | 'updated' | 'scheduled';
  json?: boolean;
}

/** `snowline dry-run --table T (--record FILE | --sys-id ID) [--json]`: what a ticket would do. */
export function dryRunCommand(): Command {
  return new Command('dry-run')
    .description('show which rules a ticket matches, why the others do not, and the rendered steps; runs nothing')
    .requiredOption('--table <table>', 'incident, change_request or problem')
    .option('--record <file>', 'a JSON file with the record (Table API raw values)')
    .option('--sys-id <id>', 'read the record from the configured ServiceNow instance')
    .addOption(
      new Option(
        '--trigger <event>',
        "treat the record as inserted or updated (default: inserted when sys_mod_count is 0), or as found by the scheduled rules (each rule's query is evaluated on the record now)",
      ).choices(['inserted', 'updated', 'scheduled']),
    )
    .option('--json', 'print JSON: { matched, steps, explain }')
    .action(async (options: DryRunOptions) => {
      if (!options.record === !options.sysId) fail('give exactly one of --record FILE or --sys-id ID');
      const config = configOrExit();
      const catalog = mappingCatalog(connectors);
      const { ruleSet, problems } = loadRuleSet(config.mappings.dir, catalog);
      if (!ruleSet) fail(`mapping tables are invalid:\n${problems.map(formatProblem).join('\n')}`);
      const record = options.record
        ? readRecord(options.record)
        : await fetchRecord(config, options.table, options.sysId!);
      const trigger = options.trigger ?? (Number(record.sys_mod_count ?? '0') === 0 ? 'inserted' : 'updated');
      const result = dryRun(ruleSet!, catalog, options.table, record, trigger);
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result));
    });
}

function readRecord(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    fail(`--record ${file}: ${(err as Error).message}`);
  }
  const record = (parsed as { result?: unknown })?.result ?? parsed;
  if (!record || typeof record !== 'object' || Array.isArray(record))
    fail(`--record ${file}: expected a JSON object of field values`);
  return Object.fromEntries(Object.entries(record as object).map(([k, v]) => [k, rawValue(v) ?? '']));
}

async function fetchRecord(
  config: ReturnType<typeof configOrExit>,
  table: string,
  sysId: string,
): Promise<Record<string, string>> {
  return withConfiguredInstance(
    config,
    '--sys-id needs SERVICENOW_URL (a running instance); use --record for a file',
    fail,
    async (client) => {
      const row = await client.getRecord(table, sysId, {
        fields: fieldsOf(table)
          .filter((f) => f.type !== 'journal')
          .map((f) => f.name),
      });
      return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, rawValue(v) ?? '']));
    },
  );
}

function describe(result: DryRunResult): string {
  const lines = [
    `rule version ${result.ruleVersion}, trigger ${result.trigger}`,
    `matched: ${result.matched.join(', ') || '(none)'}`,
  ];
  for (const step of result.steps)
    lines.push(`  step ${step.rule}/${step.name}: ${step.use} ${JSON.stringify(step.with)}`);
  for (const [rule, why] of Object.entries(result.explain)) {
    if (why.schedule)
      lines.push(
        `  ${rule}: on schedule "${why.schedule.cron}", query ${why.schedule.query}: ${why.schedule.queryMatches ? 'finds' : 'does not find'} this record now`,
      );
    if (!why.matched)
      lines.push(`  ${rule}: ${why.reason}${why.failedTerms?.length ? ` (${why.failedTerms.join(', ')})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function fail(message: string): never {
  process.stderr.write(`snowline dry-run: ${message}\n`);
  process.exit(2);
}
