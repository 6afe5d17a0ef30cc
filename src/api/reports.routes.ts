import { z } from 'zod';
import { buildReport, type ReportInputs } from '../reports/build-report';
import { REPORT_FORMATS, REPORT_KINDS, renderReport, reportSchema, type ReportKind } from '../reports/report';
import { TextBody, type RouteDefinition } from './route';

const isoInstant = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));

const reportQuery = z.object({
  from: isoInstant.optional().describe('ISO 8601, inclusive; default: `days` before `to`'),
  to: isoInstant.optional().describe('ISO 8601, exclusive; default: now'),
  days: z.coerce.number().int().min(1).max(3660).default(30).describe('the window when `from` is not given'),
  format: z.enum(REPORT_FORMATS).default('json').describe('json (the report object), markdown or csv (text)'),
});

const CONTENT_TYPES = { markdown: 'text/markdown; charset=utf-8', csv: 'text/csv; charset=utf-8' } as const;

/** `GET /api/v1/reports/{kind}`: the continuous-improvement reports (docs/reports.md), as the CLI prints them. */
export function reportRoutes(inputs: ReportInputs): RouteDefinition[] {
  return REPORT_KINDS.map((kind: ReportKind) => ({
    method: 'get' as const,
    path: `/reports/${kind}`,
    permission: 'runs:read' as const,
    summary: `The ${kind} report over a window (JSON, Markdown or CSV)`,
    query: reportQuery,
    response: reportSchema,
    handle: async (_req, { query }) => {
      const q = query as z.infer<typeof reportQuery>;
      const to = q.to ?? Date.now();
      const from = q.from ?? to - q.days * 86_400_000;
      // The API never calls ServiceNow for a report: the time-to-resolve comparison is the CLI's (--servicenow).
      const report = await buildReport(kind, { from, to }, { ...inputs, resolved: undefined });
      return q.format === 'json' ? report : new TextBody(CONTENT_TYPES[q.format], renderReport(report, q.format));
    },
  }));
}
