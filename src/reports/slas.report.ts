import type { ReportsConfig } from './reports-settings';
import type { ReportRange, ReportRepository } from '../store/report.repository';
import { percent, type Report } from './report';
import { header } from './report-header';

/**
 * Downstream SLAs: per endpoint Snowline calls (`connector:action`), step duration percentiles,
 * error rate (failed calls, retries included, over calls) and availability (steps that succeeded
 * over steps that ended), each held against the SLA declared in `reports.slas`.
 */
export async function slasReport(repo: ReportRepository, settings: ReportsConfig, range: ReportRange): Promise<Report> {
  const endpoints = await repo.endpointStats(range);
  const rows = endpoints.map((e) => {
    const sla = settings.slas[e.endpoint];
    const errorRate = e.calls === 0 ? 0 : e.failedCalls / e.calls;
    const availability = e.steps === 0 ? 1 : e.succeeded / e.steps;
    const breaches = [
      sla?.p95Ms !== undefined && e.p95Ms > sla.p95Ms ? `p95 ${e.p95Ms} ms > ${sla.p95Ms} ms` : undefined,
      sla?.errorRate !== undefined && errorRate > sla.errorRate
        ? `error rate ${percent(e.failedCalls, e.calls)} % > ${sla.errorRate * 100} %`
        : undefined,
      sla?.availability !== undefined && availability < sla.availability
        ? `availability ${percent(e.succeeded, e.steps)} % < ${sla.availability * 100} %`
        : undefined,
    ].filter((b): b is string => b !== undefined);
    const verdict = !sla ? 'no SLA declared' : breaches.length === 0 ? 'met' : `BREACHED: ${breaches.join('; ')}`;
    return [
      e.endpoint,
      e.steps,
      e.calls,
      e.p50Ms,
      e.p95Ms,
      e.p99Ms,
      percent(e.failedCalls, e.calls),
      percent(e.succeeded, e.steps),
      verdict,
    ];
  });
  return {
    ...header('slas', 'Downstream SLAs', range),
    summary: {
      endpoints: endpoints.length,
      'with an SLA': rows.filter((r) => r[8] !== 'no SLA declared').length,
      breached: rows.filter((r) => String(r[8]).startsWith('BREACHED')).length,
    },
    tables: [
      {
        title: 'Per endpoint',
        columns: ['endpoint', 'steps', 'calls', 'p50 ms', 'p95 ms', 'p99 ms', 'error rate %', 'availability %', 'SLA'],
        rows,
      },
    ],
  };
}
