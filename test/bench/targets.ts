import { loadavg, cpus } from 'node:os';

/** One target of issue 16 ("Scale and speed") beside what this run measured. */
export interface TargetRow {
  target: string;
  goal: string;
  measured: string;
  /** undefined: not measured in this run (say why in `measured`). */
  met?: boolean;
}

/**
 * The figures `npm run bench` measured, against their targets, as one Markdown table at the end of
 * the run, so a note or docs/benchmarks.md can paste it whole. The machine's size and load are
 * printed with it: timings on a shared machine compare only within one run.
 */
export function targetTable() {
  const rows: TargetRow[] = [];
  const loadAtStart = loadavg()[0]!;
  return {
    add(row: TargetRow): void {
      rows.push(row);
    },
    markdown(): string {
      const verdict = (met?: boolean) => (met === undefined ? '–' : met ? 'yes' : 'no');
      return [
        `targets (${cpus().length} cores; load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end)`,
        '',
        '| target | goal | measured | met |',
        '|---|---|---|---|',
        ...rows.map((r) => `| ${r.target} | ${r.goal} | ${r.measured} | ${verdict(r.met)} |`),
      ].join('\n');
    },
  };
}
export type TargetTable = ReturnType<typeof targetTable>;
