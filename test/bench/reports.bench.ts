import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from '../../src/reports/build-report';
import { REPORT_KINDS, type ReportKind } from '../../src/reports/report';
import type { PortfolioRule } from '../../src/reports/rule-lint';
import { openStore, repositories } from '../../src/store';
import { generatedHistory, writeHistory } from './history';

export interface ReportBenchResult {
  store: string;
  runs: number;
  seconds: Record<ReportKind, number>;
}

/**
 * Each continuous-improvement report over a generated history of `runs` runs (3 steps each, 30
 * days, 40 rules, failures, approvals, manual triggers), timed end to end: SQL and building.
 */
export async function benchReports(runs: number, postgresUrl?: string): Promise<ReportBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'snowline-bench-reports-'));
  const schema = `bench_reports_${process.pid}`;
  const store = await openStore({
    sqlitePath: join(dir, 'bench.db'),
    postgresUrl,
    postgresSchema: postgresUrl ? schema : undefined,
  });
  try {
    const now = Date.now();
    const history = generatedHistory(runs, now);
    await writeHistory(store, history);
    const rules: PortfolioRule[] = [...new Set(history.runs.map((r) => r.rule)), 'never-matched'].map((id) => ({
      id,
      owner: 'ops',
      table: 'incident',
      uses: ['ansible.launch_job_template'],
      values: [{ path: 'restart.with.host', key: 'host', value: 'web-01.example.com' }],
    }));
    const inputs = {
      reports: repositories(store).reports,
      settings: { manualMinutes: {}, defaultManualMinutes: 20, slas: {}, deprecated: ['/api/v1/'] },
      rules: () => rules,
    };
    const seconds = {} as Record<ReportKind, number>;
    for (const kind of REPORT_KINDS) {
      const started = process.hrtime.bigint();
      await buildReport(kind, { from: now - 31 * 86_400_000, to: now + 1 }, inputs);
      seconds[kind] = Number(process.hrtime.bigint() - started) / 1e9;
    }
    return { store: postgresUrl ? 'PostgreSQL' : 'SQLite', runs, seconds };
  } finally {
    if (postgresUrl) await store.db.schema.dropSchema(schema).ifExists().cascade().execute();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
