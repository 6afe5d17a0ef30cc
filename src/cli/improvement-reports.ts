import { Command, Option } from 'commander';
import { connectors } from '../../connectors/registry';
import { ServiceNowClient } from '../../connectors/servicenow/client';
import { usesSandbox, type Config } from '../config';
import { buildReport } from '../reports/build-report';
import { REPORT_FORMATS, REPORT_KINDS, renderReport, type ReportFormat, type ReportKind } from '../reports/report';
import { fileProblemTasks } from '../reports/problem-tasks';
import { readResolvedTickets } from '../reports/resolved-tickets';
import { portfolioRules, type PortfolioRule } from '../reports/rule-lint';
import { mappingCatalog } from '../rules/catalog';
import { loadRuleSet } from '../mappings/mapping-files';
import { instanceAuth } from '../config/servicenow-auth';
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
            ? () => withServiceNow(config, (client) => readResolvedTickets(client, range, options.similar))
            : undefined,
        });
        process.stdout.write(renderReport(built, options.format));
        if (options.fileProblemTasks) {
          const filed = await withServiceNow(config, (client) => fileProblemTasks(client, built, options.problem));
          for (const f of filed)
            process.stderr.write(`problem task ${f.action} for ${f.owner}: ${f.findings} findings\n`);
        }
      });
    });
    report.addCommand(command);
  }
}

function rangeOf(options: ReportOptions): { from: number; to: number } {
  const to = options.to ? instant('--to', options.to) : Date.now();
  if (!/^\d{1,5}$/.test(options.days))
    fail(`--days: expected a whole number of days, got ${JSON.stringify(options.days)}`);
  const from = options.from ? instant('--from', options.from) : to - Number(options.days) * 86_400_000;
  if (to <= from) fail('--to must be after --from');
  return { from, to };
}

function loadedRules(config: Config): PortfolioRule[] {
  const { ruleSet, problems } = loadRuleSet(config.mappings.dir, mappingCatalog(connectors));
  if (!ruleSet) fail(`mapping tables are invalid (${problems.length} problems): run snowline validate`);
  return portfolioRules(ruleSet);
}

/** Runs `work` with a client of the configured instance (SERVICENOW_URL), closed afterwards. */
async function withServiceNow<T>(config: Config, work: (client: ServiceNowClient) => Promise<T>): Promise<T> {
  if (usesSandbox(config)) fail('reading or filing in ServiceNow needs SERVICENOW_URL (a configured instance)');
  const auth = instanceAuth(config.servicenow);
  if (!auth.ok) fail(auth.problems.join('\n'));
  const client = new ServiceNowClient({
    url: config.servicenow.url!,
    auth: auth.auth,
    extraHeaders: config.servicenow.extraHeaders,
  });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

function instant(flag: string, text: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms))
    fail(`${flag}: expected an ISO 8601 date or date-time, got ${JSON.stringify(text)}`);
  return ms;
}

function fail(message: string): never {
  process.stderr.write(`snowline report: ${message}\n`);
  process.exit(2);
}
