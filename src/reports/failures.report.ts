import type { FailureDimension, ReportRange, ReportRepository } from '../store/report.repository';
import type { Report, ReportTable } from './report';
import { header } from './report-header';

const DIMENSIONS: { dimension: FailureDimension; title: string }[] = [
  { dimension: 'rule', title: 'By rule' },
  { dimension: 'step', title: 'By step' },
  { dimension: 'connector', title: 'By connector' },
  { dimension: 'ci', title: 'By configuration item' },
  { dimension: 'hour', title: 'By hour of day (UTC)' },
];

/**
 * Error texts that differ only in numbers, ids or addresses are one reason (`timed out after # s`):
 * the report counts causes, not occurrences of one cause with different figures.
 */
export function failureReason(error: string): string {
  const reason = error
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
    .replace(/https?:\/\/[^\s/]+/g, '<url>')
    .replace(/\d+/g, '#')
    .trim();
  return reason === '' ? '(no error text)' : reason.slice(0, 160);
}

/** Failure modes: failed steps by rule, step, connector, configuration item and hour, with their top reasons. */
export async function failuresReport(repo: ReportRepository, range: ReportRange, top = 10): Promise<Report> {
  const tables: ReportTable[] = [];
  let failures = 0;
  for (const { dimension, title } of DIMENSIONS) {
    const grouped = new Map<string, Map<string, number>>();
    for (const row of await repo.failuresBy(dimension, range)) {
      const reasons = grouped.get(row.key) ?? new Map<string, number>();
      const reason = failureReason(row.error);
      reasons.set(reason, (reasons.get(reason) ?? 0) + row.failures);
      grouped.set(row.key, reasons);
    }
    const rows = [...grouped].map(([key, reasons]) => {
      const total = [...reasons.values()].reduce((t, n) => t + n, 0);
      const [reason, count] = [...reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]!;
      return [key === '' ? '(none)' : key, total, reason, count] as [string, number, string, number];
    });
    if (dimension === 'rule') failures = rows.reduce((t, r) => t + r[1], 0);
    rows.sort((a, b) => (dimension === 'hour' ? Number(a[0]) - Number(b[0]) : b[1] - a[1] || a[0].localeCompare(b[0])));
    tables.push({
      title,
      columns: [dimension, 'failures', 'top reason', 'with that reason'],
      rows: dimension === 'hour' ? rows : rows.slice(0, top),
    });
  }
  return { ...header('failures', 'Failure modes', range), summary: { 'failed steps': failures }, tables };
}
