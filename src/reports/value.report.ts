import type { ReportsConfig } from './reports-settings';
import type { ReportRepository, ReportRange } from '../store/report.repository';
import { duration, percent, type Report } from './report';
import { header } from './report-header';

/** A resolved ticket read from ServiceNow: when it was opened and resolved, epoch ms. */
export interface ResolvedTicket {
  number: string;
  openedAt: number;
  resolvedAt: number;
}

/**
 * Value: runs, successes, tickets resolved with no person involved (a succeeded run, not triggered
 * by hand, no approval), hours saved (`reports.manualMinutes` per rule × successes) and, when
 * ServiceNow's resolved tickets are given, time to resolve automated tickets against the others.
 */
export async function valueReport(
  repo: ReportRepository,
  settings: ReportsConfig,
  range: ReportRange,
  resolved?: ResolvedTicket[],
): Promise<Report> {
  const rules = await repo.outcomesByRule(range);
  const minutesOf = (rule: string) => settings.manualMinutes[rule] ?? settings.defaultManualMinutes;
  const hoursSaved = (rule: string, successes: number) => Math.round((minutesOf(rule) * successes) / 6) / 10;
  const total = (pick: (r: (typeof rules)[number]) => number) => rules.reduce((t, r) => t + pick(r), 0);
  const runs = total((r) => r.runs);
  const succeeded = total((r) => r.succeeded);
  const comparison = resolved ? compareResolution(resolved, new Set(await repo.automatedTickets(range))) : undefined;
  return {
    ...header('value', 'Value of automation', range),
    summary: {
      runs,
      succeeded,
      'success rate %': percent(succeeded, runs),
      'runs without a person': total((r) => r.unattended),
      'tickets resolved without a person': total((r) => r.unattendedTickets),
      // From the exact minutes, not the sum of per-rule figures already rounded.
      'hours saved': Math.round(rules.reduce((t, r) => t + minutesOf(r.rule) * r.succeeded, 0) / 6) / 10,
      ...(comparison
        ? {
            'median time to resolve, automated': duration(comparison.automated.medianMs),
            'median time to resolve, manual': duration(comparison.manual.medianMs),
          }
        : {}),
    },
    tables: [
      {
        title: 'Per rule',
        columns: [
          'rule',
          'runs',
          'succeeded',
          'failed',
          'without a person',
          'manual minutes',
          'hours saved',
          'mean duration',
        ],
        rows: rules.map((r) => [
          r.rule,
          r.runs,
          r.succeeded,
          r.failed,
          r.unattended,
          minutesOf(r.rule),
          hoursSaved(r.rule, r.succeeded),
          duration(r.meanSucceededMs),
        ]),
      },
      ...(comparison
        ? [
            {
              title: 'Time to resolve (ServiceNow)',
              columns: ['tickets', 'count', 'median', 'mean'],
              rows: (['automated', 'manual'] as const).map((side) => [
                side,
                comparison[side].count,
                duration(comparison[side].medianMs),
                duration(comparison[side].meanMs),
              ]),
            },
          ]
        : []),
    ],
  };
}

type Side = { count: number; medianMs: number | null; meanMs: number | null };

/** Splits resolved tickets into those a run succeeded on and the rest, and measures each side. */
export function compareResolution(
  resolved: ResolvedTicket[],
  automated: Set<string>,
): { automated: Side; manual: Side } {
  const measure = (tickets: ResolvedTicket[]): Side => {
    const ms = tickets.map((t) => t.resolvedAt - t.openedAt).sort((a, b) => a - b);
    if (ms.length === 0) return { count: 0, medianMs: null, meanMs: null };
    return {
      count: ms.length,
      medianMs: ms[Math.ceil(ms.length / 2) - 1]!,
      meanMs: Math.round(ms.reduce((t, v) => t + v, 0) / ms.length),
    };
  };
  return {
    automated: measure(resolved.filter((t) => automated.has(t.number))),
    manual: measure(resolved.filter((t) => !automated.has(t.number))),
  };
}
