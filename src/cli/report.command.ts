import { Command, Option } from 'commander';
import { buildAccessReview, type AccessReview } from '../security/access-review';
import { auditCsv, buildAuditReport, csvLine, type AuditReport } from '../security/audit-report';
import { buildComplianceReport } from '../security/compliance-report';
import { complianceCsv, complianceHtml } from '../security/compliance-report-format';
import type { AuditRepository } from '../store/audit.repository';
import type { AuditRow } from '../store/schema';
import { isoInstant } from './cli-input';
import { withConfiguredStore } from './configured-store';
import { addImprovementReports } from './improvement-reports';

/** `snowline report audit|compliance --from --to [--format …]`: evidence from the audit journal; `report access`: the access review. */
export function reportCommand(): Command {
  const report = new Command('report').description(
    'evidence for auditors (audit, compliance, access) and continuous-improvement reports (value, portfolio, failures, slas, adoption)',
  );
  addImprovementReports(report);
  report
    .command('audit')
    .description('who did what, rule versions used, human decisions, and whether the journal verifies')
    .requiredOption('--from <iso>', 'start, ISO 8601 (inclusive)')
    .requiredOption('--to <iso>', 'end, ISO 8601 (exclusive)')
    .addOption(
      new Option('--format <format>', 'json summary, or csv of every entry').choices(['json', 'csv']).default('json'),
    )
    .action(async (options: { from: string; to: string; format: 'json' | 'csv' }) => {
      await withJournal(options, async (audit, range) => {
        const rows = await journal(audit, range);
        if (options.format === 'csv') return void process.stdout.write(auditCsv(rows));
        process.stdout.write(`${JSON.stringify(buildAuditReport(rows, range, await chainResult(audit)), null, 2)}\n`);
      });
    });
  report
    .command('compliance')
    .description(
      'change-control evidence: per change its approvals, window, freeze and segregation-of-duties checks and overrides; per automation its rule, version, outcome and duration',
    )
    .requiredOption('--from <iso>', 'start, ISO 8601 (inclusive)')
    .requiredOption('--to <iso>', 'end, ISO 8601 (exclusive)')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'csv', 'html']).default('json'))
    .action(async (options: { from: string; to: string; format: 'json' | 'csv' | 'html' }) => {
      await withJournal(options, async (audit, range) => {
        const built = buildComplianceReport(await journal(audit, range), range, await chainResult(audit), Date.now());
        const render = {
          json: () => `${JSON.stringify(built, null, 2)}\n`,
          csv: () => complianceCsv(built),
          html: () => complianceHtml(built),
        }[options.format];
        process.stdout.write(render());
      });
    });
  report
    .command('access')
    .description('access review: API identities seen, their roles, last use, and rights unused for N days')
    .option('--unused-days <days>', 'a right not used for this many days is listed as unused', '90')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'csv']).default('json'))
    .action(async (options: { unusedDays: string; format: 'json' | 'csv' }) => {
      if (!/^\d+$/.test(options.unusedDays))
        fail(`--unused-days: expected a whole number of days, got ${JSON.stringify(options.unusedDays)}`);
      await withConfiguredStore(async (_store, repos) => {
        const review = buildAccessReview(await repos.identityUse.list(), {
          now: Date.now(),
          unusedDays: Number(options.unusedDays),
        });
        process.stdout.write(
          options.format === 'csv' ? accessReviewCsv(review) : `${JSON.stringify(review, null, 2)}\n`,
        );
      });
    });
  return report;
}

/** One line per identity; rights as `permission@last use` (`never` when unused). */
function accessReviewCsv(review: AccessReview): string {
  const lines = ['subject,roles,first_seen,last_used,unused_rights,rights'];
  for (const i of review.identities) {
    lines.push(
      csvLine([
        i.subject,
        i.roles.join(' '),
        i.firstSeen,
        i.lastUsed,
        i.unusedRights.join(' '),
        i.rights.map((r) => `${r.permission}@${r.lastUsed || 'never'}`).join(' '),
      ]),
    );
  }
  return `${lines.join('\n')}\n`;
}

type Range = { from: number; to: number };

async function withJournal(
  options: { from: string; to: string },
  work: (audit: AuditRepository, range: Range) => Promise<void>,
): Promise<void> {
  const from = isoInstant('--from', options.from, fail);
  const to = isoInstant('--to', options.to, fail);
  if (to <= from) fail('--to must be after --from');
  await withConfiguredStore((_store, repos) => work(repos.audit, { from, to }));
}

async function journal(audit: AuditRepository, range: Range): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  for (
    let page = await audit.between({ ...range, limit: 1000 });
    page.length > 0;
    page = await audit.between({ ...range, limit: 1000, afterSeq: page[page.length - 1]!.seq })
  )
    rows.push(...page);
  return rows;
}

async function chainResult(audit: AuditRepository): Promise<AuditReport['chain']> {
  const verified = await audit.verify();
  return verified.ok
    ? { intact: true, entries: verified.entries }
    : { intact: false, entries: verified.entries, brokenAt: verified.brokenAt, reason: verified.reason };
}

function fail(message: string): never {
  process.stderr.write(`snowline report: ${message}\n`);
  process.exit(2);
}
