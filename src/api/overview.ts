import { z } from 'zod';
import type { RunRepository } from '../store/run.repository';
import type { RouteDefinition } from './route';

const HOUR_MS = 3_600_000;
/** Runs read for one overview; a window with more is summarised from its oldest runs, and says so. */
const MAX_RUNS = 50_000;

const overviewQuery = z.object({
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 14)
    .default(24)
    .describe('the window, ending now'),
});

export const overviewSchema = z.object({
  from: z.string(),
  to: z.string(),
  truncated: z.boolean().describe(`true when the window held more than ${MAX_RUNS} runs and only the oldest were read`),
  perHour: z.array(z.object({ hour: z.string(), started: z.number(), succeeded: z.number(), failed: z.number() })),
  successRate: z.number().nullable().describe('succeeded / finished (succeeded, failed, refused); null with none'),
  byRule: z.array(
    z.object({
      rule: z.string(),
      runs: z.number(),
      succeeded: z.number(),
      failed: z.number(),
      p50Ms: z.number().nullable(),
      p95Ms: z.number().nullable(),
    }),
  ),
});
export type Overview = z.infer<typeof overviewSchema>;

type RunSummary = { rule_id: string; state: string; created_at: number; finished_at: number | null };

const FAILED = ['failed', 'refused'];

/** Nearest-rank percentile of sorted numbers. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Pure: runs of a window → runs per hour, success rate, and duration percentiles per rule. */
export function overviewOf(runs: readonly RunSummary[], from: number, to: number, truncated: boolean): Overview {
  const hours = Math.ceil((to - from) / HOUR_MS);
  const start = Math.floor(from / HOUR_MS) * HOUR_MS;
  const perHour = Array.from({ length: hours + 1 }, (_, i) => ({
    hour: new Date(start + i * HOUR_MS).toISOString(),
    started: 0,
    succeeded: 0,
    failed: 0,
  })).filter((h) => Date.parse(h.hour) < to);
  const rules = new Map<string, { runs: number; succeeded: number; failed: number; durations: number[] }>();
  for (const run of runs) {
    const bucket = perHour[Math.floor((Number(run.created_at) - start) / HOUR_MS)];
    const rule = rules.get(run.rule_id) ?? { runs: 0, succeeded: 0, failed: 0, durations: [] };
    rules.set(run.rule_id, rule);
    rule.runs += 1;
    if (bucket) bucket.started += 1;
    if (run.state === 'succeeded') {
      rule.succeeded += 1;
      if (bucket) bucket.succeeded += 1;
    } else if (FAILED.includes(run.state)) {
      rule.failed += 1;
      if (bucket) bucket.failed += 1;
    }
    if (run.finished_at !== null) rule.durations.push(Number(run.finished_at) - Number(run.created_at));
  }
  const succeeded = runs.filter((r) => r.state === 'succeeded').length;
  const finished = succeeded + runs.filter((r) => FAILED.includes(r.state)).length;
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    truncated,
    perHour,
    successRate: finished === 0 ? null : succeeded / finished,
    byRule: [...rules.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([rule, r]) => {
        const sorted = [...r.durations].sort((a, b) => a - b);
        const { durations: _durations, ...counts } = r;
        return { rule, ...counts, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95) };
      }),
  };
}

export function overviewRoutes(runs: Pick<RunRepository, 'summariesSince'>, now: () => number = Date.now) {
  const routes: RouteDefinition[] = [
    {
      method: 'get',
      path: '/overview',
      permission: 'runs:read',
      summary: 'Runs per hour, success rate, and p50/p95 run duration per rule over the last hours',
      query: overviewQuery,
      response: overviewSchema,
      handle: async (_req, { query }) => {
        const to = now();
        const from = to - (query.hours as number) * HOUR_MS;
        const found = await runs.summariesSince(from, MAX_RUNS + 1);
        return overviewOf(found.slice(0, MAX_RUNS), from, to, found.length > MAX_RUNS);
      },
    },
  ];
  return routes;
}
