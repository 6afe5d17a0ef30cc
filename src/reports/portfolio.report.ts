import type { ReportsConfig } from './reports-settings';
import type { ReportRange, ReportRepository } from '../store/report.repository';
import { percent, type Report } from './report';
import { header } from './report-header';
import { deprecatedUses, hardCodedValues, type PortfolioRule } from './rule-lint';

/**
 * Portfolio review: rules that never ran in the window, rules that ran for the same recorded event
 * (overlap), hard-coded hosts, addresses and credentials, deprecated actions and API paths, and the
 * rules that fail most. Each finding names the rule's owner, who is asked to act on it.
 */
export async function portfolioReport(
  repo: ReportRepository,
  settings: ReportsConfig,
  rules: PortfolioRule[],
  range: ReportRange,
): Promise<Report> {
  const activity = new Map((await repo.ruleActivity(range)).map((a) => [a.rule, a]));
  const ownerOf = new Map(rules.map((r) => [r.id, r.owner]));
  const owner = (id: string) => ownerOf.get(id) ?? '(rule no longer loaded)';
  const idle = rules.filter((r) => (activity.get(r.id)?.runs ?? 0) === 0);
  const overlaps = await repo.overlaps(range);
  const hardCoded = rules.flatMap((r) => hardCodedValues(r).map((h) => [r.id, r.owner, h.kind, h.path]));
  const deprecated = rules.flatMap((r) => deprecatedUses(r, settings.deprecated).map((d) => [r.id, r.owner, d]));
  const failing = [...activity.values()]
    .filter((a) => a.failed > 0)
    .sort((a, b) => b.failed / b.runs - a.failed / a.runs || b.failed - a.failed)
    .slice(0, 20);
  return {
    ...header('portfolio', 'Portfolio review', range),
    summary: {
      rules: rules.length,
      'never matched': idle.length,
      'overlapping pairs': overlaps.length,
      'hard-coded values': hardCoded.length,
      'deprecated uses': deprecated.length,
    },
    tables: [
      {
        title: 'Never matched in the window',
        columns: ['rule', 'owner', 'table', 'last run'],
        rows: idle.map((r) => {
          const last = activity.get(r.id)?.lastRunAt;
          return [r.id, r.owner, r.table, last ? new Date(last).toISOString() : 'never'];
        }),
      },
      {
        title: 'Overlapping rules (ran for the same event)',
        columns: ['rule', 'other rule', 'shared events', 'owners'],
        rows: overlaps.map((o) => [o.rules[0], o.rules[1], o.events, `${owner(o.rules[0])}, ${owner(o.rules[1])}`]),
      },
      { title: 'Hard-coded values', columns: ['rule', 'owner', 'kind', 'where'], rows: hardCoded },
      { title: 'Deprecated actions and API versions', columns: ['rule', 'owner', 'uses'], rows: deprecated },
      {
        title: 'Rules that fail most',
        columns: ['rule', 'owner', 'runs', 'failed', 'failure rate %'],
        rows: failing.map((a) => [a.rule, owner(a.rule), a.runs, a.failed, percent(a.failed, a.runs)]),
      },
    ],
  };
}
