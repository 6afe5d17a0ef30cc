import { z } from 'zod';

/** The report kinds (`snowline report <kind>`, `GET /api/v1/reports/<kind>`). */
export const REPORT_KINDS = ['value', 'portfolio', 'failures', 'slas', 'adoption'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export const REPORT_FORMATS = ['json', 'markdown', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const cellSchema = z.union([z.string(), z.number(), z.null()]);

/** One table of a report: named columns, one row per item. */
export const reportTableSchema = z.object({
  title: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.array(cellSchema)),
});
export type ReportTable = z.infer<typeof reportTableSchema>;

/** A report as the API returns it (`format=json`); Markdown and CSV are renderings of it. */
export const reportSchema = z.object({
  kind: z.enum(REPORT_KINDS),
  title: z.string(),
  from: z.string().describe('ISO 8601, inclusive'),
  to: z.string().describe('ISO 8601, exclusive'),
  generatedAt: z.string(),
  summary: z.record(z.string(), cellSchema),
  tables: z.array(reportTableSchema),
});
export type Report = z.infer<typeof reportSchema>;

export function renderReport(report: Report, format: ReportFormat): string {
  if (format === 'csv') return reportCsv(report);
  if (format === 'markdown') return reportMarkdown(report);
  return `${JSON.stringify(report, null, 2)}\n`;
}

function reportMarkdown(report: Report): string {
  const lines = [`# ${report.title}`, '', `${report.from} – ${report.to} (generated ${report.generatedAt})`, ''];
  for (const [key, value] of Object.entries(report.summary)) lines.push(`- **${key}**: ${value ?? '–'}`);
  for (const table of report.tables) {
    lines.push('', `## ${table.title}`, '');
    if (table.rows.length === 0) {
      lines.push('_none_');
      continue;
    }
    lines.push(`| ${table.columns.map(markdownCell).join(' | ')} |`, `|${table.columns.map(() => '---').join('|')}|`);
    for (const row of table.rows) lines.push(`| ${row.map(markdownCell).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

function markdownCell(cell: string | number | null): string {
  return cell === null
    ? '–'
    : String(cell)
        .replace(/\|/g, '\\|')
        .replace(/\s*[\r\n]+\s*/g, ' ');
}

/** Every table in one CSV: a `table` column first says which one a row belongs to. */
function reportCsv(report: Report): string {
  const lines: string[] = [];
  for (const table of report.tables) {
    lines.push(csvRow(['table', ...table.columns]));
    for (const row of table.rows) lines.push(csvRow([table.title, ...row]));
  }
  return `${lines.join('\n')}\n`;
}

function csvRow(cells: (string | number | null)[]): string {
  return cells
    .map((cell) => {
      const text = cell === null ? '' : String(cell);
      // A leading = + - @ would be run as a formula by a spreadsheet: quoted with a tick.
      const safe = /^[=+\-@]/.test(text) && typeof cell === 'string' ? `'${text}` : text;
      return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
    })
    .join(',');
}

/** Milliseconds as a short human figure (`850 ms`, `12.4 s`, `3.2 min`, `1.5 h`). */
export function duration(ms: number | null): string | null {
  if (ms === null) return null;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A share as a percentage with one decimal; null when there is nothing to divide. */
export function percent(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 1000) / 10;
}
