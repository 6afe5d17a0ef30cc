import { Command, Option } from 'commander';
import { connectors } from '../../connectors/registry';
import type { Config } from '../config';
import { buildReport } from '../reports/build-report';
import { REPORT_FORMATS, REPORT_KINDS, renderReport, type ReportFormat, type ReportKind } from '../reports/report';
import { fileProblemTasks } from '../reports/problem-tasks';
import { readResolvedTickets } from '../reports/resolved-tickets';
import { portfolioRules, type PortfolioRule } from '../reports/rule-lint';
import { mappingCatalog } from '../rules/catalog';
import { loadRuleSet } from '../mappings/mapping-files';
import { isoInstant, withConfiguredInstance } from './cli-input';
import { withConfiguredStore } from './configured-store';

const DESCRIPTIONS: Record<ReportKind, string> = {
  value: 'runs, successes, tickets resolved without a person, hours saved; --servicenow adds time to resolve',
  portfolio: 'rules never matched, overlapping, with hard-coded values or deprecated uses, failing most',
  failures: 'top failure reasons by rule, step, connector, configuration item and hour of day',
  slas: 'per downstream endpoint: latency percentiles, error rate, availability against reports.slas',
  adoption: 'manual triggers by person and group, active identities, approvals and time to approve',
};

interface ReportOptions {
  days: string;
  from?: string;
  to?: string;
  format: ReportFormat;
  servicenow?: boolean;
  similar?: string;
  fileProblemTasks?: boolean;
  problem?: string;
}

/** `snowline report value|portfolio|failures|slas|adoption`: the continuous-improvement reports (docs/reports.md). */
export function addImprovementReports(report: Command): void {
  for (const kind of REPORT_KINDS) {
    const command = new Command(kind)
      .description(DESCRIPTIONS[kind])
      .option('--days <n>', 'the window: the last N days (unless --from/--to)', '30')
      .option('--from <iso>', 'start, ISO 8601 (inclusive)')
      .option('--to <iso>', 'end, ISO 8601 (exclusive; default now)')
      .addOption(new Option('--format <format>', 'output format').choices([...REPORT_FORMATS]).default('markdown'));
    if (kind === 'value')
      command
        .option('--servicenow', 'compare time to resolve with resolved incidents read from ServiceNow (SERVICENOW_URL)')
        .option('--similar <query>', 'encoded query naming the similar manual tickets, e.g. category=network');
    if (kind === 'portfolio')
      command
        .option(
          '--file-problem-tasks',
          'file the findings in ServiceNow: one problem task per rule owner (updated while open)',
        )
        .option('--problem <sys_id>', 'the problem the tasks belong to');
    command.action(async (options: ReportOptions) => {
      const range = rangeOf(options);
      await withConfiguredStore(async (_store, repos, config) => {
        const built = await buildReport(kind, range, {
          reports: repos.reports,
          settings: config.reports,
          rules: () => loadedRules(config),
          resolved: options.servicenow
            ? () =>
                withConfiguredInstance(config, SERVICENOW_NEEDED, fail, (client) =>
                  readResolvedTickets(client, range, options.similar),
                )
            : undefined,
        });
        process.stdout.write(renderReport(built, options.format));
        if (options.fileProblemTasks) {
          const filed = await withConfiguredInstance(config, SERVICENOW_NEEDED, fail, (client) =>
            fileProblemTasks(client, built, options.problem),
          );
          for (const f of filed)
            process.stderr.write(`problem task ${f.action} for ${f.owner}: ${f.findings} findings\n`);
        }
      });
    });
    report.addCommand(command);
  }
}

function rangeOf(options: ReportOptions): { from: number; to: number } {
  const to = options.to ? isoInstant('--to', options.to, fail) : Date.now();
  if (!/^\d{1,5}$/.test(options.days))
    fail(`--days: expected a whole number of days, got ${JSON.stringify(options.days)}`);
  const from = options.from ? isoInstant('--from', options.from, fail) : to - Number(options.days) * 86_400_000;
  if (to <= from) fail('--to must be after --from');
  return { from, to };
}

const SERVICENOW_NEEDED = 'reading or filing in ServiceNow needs SERVICENOW_URL (a configured instance)';

function loadedRules(config: Config): PortfolioRule[] {
  const { ruleSet, problems } = loadRuleSet(config.mappings.dir, mappingCatalog(connectors));
  if (!ruleSet) fail(`mapping tables are invalid (${problems.length} problems): run snowline validate`);
  return portfolioRules(ruleSet);
}

function fail(message: string): never {
  process.stderr.write(`snowline report: ${message}\n`);
  process.exit(2);
}
