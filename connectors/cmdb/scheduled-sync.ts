import type { Logger } from 'winston';
import type { Metrics } from '../../src/observability/metrics';
import type { ServiceNowClient } from '../servicenow/client';
import { queryValue } from '../servicenow/schemas';
import type { CmdbConfig, SyncJobConfig } from './schemas';
import { readSyncSource, type SourceDeps } from './sync-sources';
import { syncCis, type SyncReport } from './sync';

export interface CmdbSyncDeps {
  client: Pick<ServiceNowClient, 'identifyReconcile' | 'query' | 'update'>;
  sources: SourceDeps;
  logger: Logger;
  metrics?: Pick<Metrics, 'cmdbSyncRuns' | 'cmdbSyncCis'>;
  now?: () => number;
}

/** The report as a work note: one line of counts, then the first errors. */
function reportText(report: SyncReport): string {
  const mode = report.dryRun ? ' (dry run: nothing changed)' : '';
  const lines = [
    `Snowline CMDB sync "${report.source}"${mode}: ${report.seen} CIs seen, ${report.unchanged} unchanged, ${report.sent} sent — ` +
      `${report.items.inserted} inserted, ${report.items.updated} updated, ${report.stale} marked stale, ${report.errors.length} errors.`,
    ...report.errors.slice(0, 10).map((e) => `- ${e}`),
  ];
  if (report.errors.length > 10) lines.push(`- … and ${report.errors.length - 10} more`);
  return lines.join('\n');
}

/** Runs one configured sync now: read the source, sync, record the report in logs, metrics and (optionally) a change's work notes. */
export async function runCmdbSync(job: SyncJobConfig, config: CmdbConfig, deps: CmdbSyncDeps): Promise<SyncReport> {
  try {
    const source = await readSyncSource(job.name, job.source, deps.sources);
    const report = await syncCis(deps.client, source, {
      dataSource: job.dataSource ?? config.dataSource,
      batchSize: config.batchSize,
      dryRun: job.dryRun,
      refreshAfterHours: job.refreshAfterHours,
      stale:
        job.staleAfterDays === undefined
          ? undefined
          : { afterDays: job.staleAfterDays, classes: job.staleClasses, values: job.staleValues },
      now: deps.now,
      logger: deps.logger,
    });
    count(deps.metrics, job.name, report);
    if (job.reportToChange) await noteOnChange(deps, job.reportToChange, reportText(report));
    return report;
  } catch (err) {
    // The scheduler logs the failure; the next run catches up.
    deps.metrics?.cmdbSyncRuns.inc({ sync: job.name, outcome: 'failed' });
    throw err;
  }
}

function count(metrics: CmdbSyncDeps['metrics'], sync: string, report: SyncReport): void {
  if (!metrics) return;
  metrics.cmdbSyncRuns.inc({ sync, outcome: report.errors.length > 0 ? 'with_errors' : 'ok' });
  const results = {
    inserted: report.items.inserted,
    updated: report.items.updated,
    unchanged: report.unchanged + report.items.unchanged,
    stale: report.stale,
    errors: report.errors.length,
  };
  for (const [result, n] of Object.entries(results)) if (n > 0) metrics.cmdbSyncCis.inc({ sync, result }, n);
}

/** A missing change is logged, not fatal: the sync itself has happened. */
async function noteOnChange(deps: CmdbSyncDeps, number: string, text: string): Promise<void> {
  const page = await deps.client.query('change_request', {
    query: `number=${queryValue(number)}`,
    fields: ['sys_id'],
    limit: 1,
  });
  const sysId = page.rows[0]?.sys_id;
  if (typeof sysId !== 'string') {
    deps.logger.warn('cmdb: the change for sync reports does not exist', { change: number });
    return;
  }
  await deps.client.update('change_request', sysId, { work_notes: text }, { fields: ['sys_id'] });
}

/** A configured sync on its cron schedule; the engine's `scheduleLeaderJobs` runs it (leader only, never overlapping). */
export interface CmdbSyncJob {
  name: string;
  cron: string;
  run(): Promise<SyncReport>;
}

export function cmdbSyncJobs(config: CmdbConfig, deps: CmdbSyncDeps): CmdbSyncJob[] {
  return config.syncs.map((job) => ({
    name: `cmdb-sync:${job.name}`,
    cron: job.cron,
    run: () => runCmdbSync(job, config, deps),
  }));
}
