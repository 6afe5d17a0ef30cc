import type { ReportRange } from '../store/report.repository';
import type { Report, ReportKind } from './report';

/** The fields every report starts with. */
export function header(kind: ReportKind, title: string, range: ReportRange, now = Date.now()) {
  return {
    kind,
    title,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    generatedAt: new Date(now).toISOString(),
  } satisfies Partial<Report>;
}
