import { Command } from 'commander';
import { connectors } from '../../connectors/registry';
import { usesSandbox } from '../config';
import { exampleRecord } from '../loadtest/example-record';
import { loadFigures, sloTargetsFrom, type LoadFigures } from '../loadtest/load-figures';
import { runLoadTest } from '../loadtest/load-test';
import { mappingCatalog } from '../rules/catalog';
import { loadRuleSet } from '../mappings/mapping-files';
import { findRule } from '../rules/rule-set';
import { issueToken } from '../security/jwt';
import { configOrExit } from './load-config';

interface LoadTestOptions {
  rule: string;
  rate: string;
  duration: string;
  drain: string;
  set: string[];
  url?: string;
  sandboxUrl?: string;
  p95Ms?: string;
  success?: string;
  json?: boolean;
}

/**
 * `snowline loadtest --rule NAME --rate R --duration D`: against a running `snowline serve` on the
 * built-in sandbox, creates matching incidents at R per second for D seconds and reports
 * throughput, ticket → run finished percentiles and whether the rule's SLO held (exit 1 when not).
 */
export function loadtestCommand(): Command {
  return new Command('loadtest')
    .description(
      "drive the sandbox through the whole path at a given rate; prints throughput, latency and the rule's SLO",
    )
    .requiredOption('--rule <id>', 'the rule the tickets are made to match')
    .requiredOption('--rate <n>', 'tickets created per second', '5')
    .requiredOption('--duration <seconds>', 'for how long tickets are created', '30')
    .option('--drain <seconds>', 'how long to wait for the last runs to finish', '120')
    .option(
      '--set <field=value>',
      'a field of every ticket (repeatable); overrides values read from the condition',
      collect,
      [],
    )
    .option('--url <url>', 'Snowline base URL (default http://127.0.0.1:PORT)')
    .option('--sandbox-url <url>', 'sandbox base URL (default http://127.0.0.1:SNOWLINE_SANDBOX_PORT)')
    .option('--p95-ms <ms>', "the p95 target, instead of the rule's SLO from config")
    .option('--success <share>', "the success target (0–1), instead of the rule's SLO from config")
    .option('--json', 'print the figures as JSON')
    .action(async (options: LoadTestOptions) => {
      const config = configOrExit();
      if (!usesSandbox(config))
        fail('loadtest creates tickets: it runs against the built-in sandbox only (unset SERVICENOW_URL)');
      const { ruleSet } = loadRuleSet(config.mappings.dir, mappingCatalog(connectors));
      const rule = ruleSet && findRule(ruleSet, options.rule);
      if (!rule) fail(`no rule ${options.rule} in ${config.mappings.dir} (or the mapping tables are invalid)`);
      const rate = positive('--rate', options.rate);
      const overrides = Object.fromEntries(options.set.map(fieldAssignment));
      const targets = sloTargetsFrom(config, options.rule);
      if (options.p95Ms !== undefined)
        Object.assign(targets, { p95Ms: positive('--p95-ms', options.p95Ms), source: 'command line' });
      if (options.success !== undefined)
        Object.assign(targets, { successRate: Number(options.success), source: 'command line' });
      const security = config.security;
      const samples = await runLoadTest(
        {
          rule: options.rule,
          table: rule.table,
          ratePerSecond: rate,
          durationSeconds: positive('--duration', options.duration),
          drainSeconds: positive('--drain', options.drain),
          fields: (i) => ({ ...exampleRecord(rule.definition.condition, i), ...overrides }),
        },
        {
          sandboxUrl: options.sandboxUrl ?? `http://127.0.0.1:${config.sandbox.port}`,
          sandboxAuth: { username: config.sandbox.user, password: config.sandbox.password },
          snowlineUrl: options.url ?? `http://127.0.0.1:${config.server.port}`,
          token: issueToken(
            { secret: security.jwtSecret, issuer: security.jwtIssuer, audience: security.jwtAudience },
            'loadtest',
            ['viewer'],
            3600,
          ),
        },
      );
      const figures = loadFigures(samples, targets);
      process.stdout.write(options.json ? `${JSON.stringify(figures, null, 2)}\n` : describe(options.rule, figures));
      if (figures.slo.held === false) process.exitCode = 1;
    });
}

function describe(rule: string, f: LoadFigures): string {
  const ms = (v: number | null) => (v === null ? '–' : `${v} ms`);
  const verdict =
    f.slo.held === null
      ? `no SLO (${f.slo.source})`
      : f.slo.held
        ? `HELD (${f.slo.source})`
        : `MISSED: ${f.slo.reasons.join('; ')} (${f.slo.source})`;
  return [
    `rule ${rule}: ${f.tickets} tickets, ${f.finished} runs finished, ${f.succeeded} succeeded`,
    `throughput  ${f.throughputPerSecond.toFixed(2)} runs/s`,
    `ticket → run finished  p50 ${ms(f.p50Ms)}  p95 ${ms(f.p95Ms)}  p99 ${ms(f.p99Ms)}`,
    `success     ${f.successRate === null ? '–' : `${(f.successRate * 100).toFixed(1)} %`}`,
    `SLO         ${verdict}`,
    '',
  ].join('\n');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function fieldAssignment(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) fail(`--set: expected field=value, got ${JSON.stringify(text)}`);
  return [text.slice(0, at), text.slice(at + 1)];
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) fail(`${flag}: expected a positive number, got ${JSON.stringify(text)}`);
  return n;
}

function fail(message: string): never {
  process.stderr.write(`snowline loadtest: ${message}\n`);
  process.exit(2);
}
