import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/schema';
import {
  ALL_RULES,
  evaluateSlo,
  sloDefinitions,
  totalOf,
  windowLengths,
  type SloStatus,
  type WindowCounts,
} from './burn-rate';
import type { ObservabilitySettings } from '../observability/observability-config';

const MINUTE_MS = 60_000;
/** Run states that end a run and say something about the automation's health. */
const FINISHED = ['succeeded', 'failed', 'writeback_failed'];

/**
 * Counts per rule of the runs that finished within the window ending `now`: one aggregate query
 * per window, so it costs the same on every instance and after a restart (nothing kept in memory).
 */
export async function countsByRule(
  db: Kysely<Tables>,
  sinceMs: number,
  thresholdsSeconds: readonly number[],
): Promise<Map<string, WindowCounts>> {
  const slowColumns = thresholdsSeconds.map((t, i) =>
    sql<number>`sum(case when state = 'succeeded' and finished_at - created_at > ${t * 1000} then 1 else 0 end)`.as(
      `slow_${i}`,
    ),
  );
  const rows = await db
    .selectFrom('runs')
    .select([
      'rule_id',
      sql<number>`count(*)`.as('finished'),
      sql<number>`sum(case when state = 'succeeded' then 1 else 0 end)`.as('succeeded'),
      ...slowColumns,
    ])
    .where('finished_at', '>=', sinceMs)
    .where('state', 'in', FINISHED)
    .groupBy('rule_id')
    .execute();
  return new Map(
    rows.map((row) => {
      const values = row as unknown as Record<string, number | string | null>;
      const finished = Number(values.finished);
      const succeeded = Number(values.succeeded ?? 0);
      const slower = new Map(thresholdsSeconds.map((t, i) => [t, Number(values[`slow_${i}`] ?? 0)]));
      return [row.rule_id, { finished, succeeded, failed: finished - succeeded, slower }];
    }),
  );
}

/** Every SLO evaluated now from the run history in the store. */
export async function evaluateSlos(
  db: Kysely<Tables>,
  settings: ObservabilitySettings['slo'],
  knownRules: Iterable<string>,
  now: number,
): Promise<SloStatus[]> {
  const configured = sloDefinitions(settings, knownRules);
  const thresholds = [...new Set(configured.flatMap((d) => (d.thresholdSeconds ? [d.thresholdSeconds] : [])))];
  const lengths = windowLengths(configured, settings.windows);
  const byWindow = new Map<number, Map<string, WindowCounts>>();
  for (const minutes of lengths) byWindow.set(minutes, await countsByRule(db, now - minutes * MINUTE_MS, thresholds));
  // Rules that ran in the longest window but are no longer loaded still have an SLO to answer for.
  const seen = byWindow.get(lengths.at(-1)!)!.keys();
  const defs = sloDefinitions(settings, [...knownRules, ...seen]);
  return defs.map((def) =>
    evaluateSlo(def, settings.windows, settings.minRuns, (minutes) => {
      const counts = byWindow.get(minutes);
      if (!counts) return undefined;
      return def.rule === ALL_RULES ? totalOf(counts) : counts.get(def.rule);
    }),
  );
}
