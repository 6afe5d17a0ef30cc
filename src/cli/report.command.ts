import { Command, Option } from 'commander';
import { auditCsv, buildAuditReport } from '../security/audit-report';
import { openStore, repositories } from '../store';
import type { AuditRow } from '../store/schema';
import { configOrExit } from './load-config';

/** `snowline report audit --from --to [--format json|csv]`: evidence from the audit journal. */
export function reportCommand(): Command {
  const report = new Command('report').description('evidence for auditors, from the audit journal');
  report
    .command('audit')
    .description('who did what, rule versions used, human decisions, and whether the journal verifies')
    .requiredOption('--from <iso>', 'start, ISO 8601 (inclusive)')
    .requiredOption('--to <iso>', 'end, ISO 8601 (exclusive)')
    .addOption(new Option('--format <format>', 'json summary, or csv of every entry').choices(['json', 'csv']).default('json'))
    .action(async (options: { from: string; to: string; format: 'json' | 'csv' }) => {
      const from = parseInstant('--from', options.from);
      const to = parseInstant('--to', options.to);
      if (to <= from) fail('--to must be after --from');
      const config = configOrExit();
      const store = await openStore({ sqlitePath: config.store.sqlitePath, postgresUrl: config.store.postgresUrl });
      try {
        const audit = repositories(store).audit;
        const rows: AuditRow[] = [];
        for (let page = await audit.between({ from, to, limit: 1000 }); page.length > 0; page = await audit.between({ from, to, limit: 1000, afterSeq: page[page.length - 1]!.seq })) rows.push(...page);
        if (options.format === 'csv') return void process.stdout.write(auditCsv(rows));
        const verified = await audit.verify();
        const chain = verified.ok ? { intact: true, entries: verified.entries } : { intact: false, entries: verified.entries, brokenAt: verified.brokenAt, reason: verified.reason };
        process.stdout.write(`${JSON.stringify(buildAuditReport(rows, { from, to }, chain), null, 2)}\n`);
      } finally {
        await store.close();
      }
    });
  return report;
}

function parseInstant(flag: string, text: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) fail(`${flag}: expected an ISO 8601 date or date-time, got ${JSON.stringify(text)}`);
  return ms;
}

function fail(message: string): never {
  process.stderr.write(`snowline report: ${message}\n`);
  process.exit(2);
}
