import type { RunHistoryRepository } from '../store/run-history.repository';
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

/** Counts per rule of the runs that finished within the window ending `now`. */
export async function countsByRule(
  history: RunHistoryRepository,
  sinceMs: number,
  thresholdsSeconds: readonly number[],
): Promise<Map<string, WindowCounts>> {
  const counts = await history.finishedCountsByRule(sinceMs, thresholdsSeconds);
  return new Map(
    [...counts].map(([rule, { finished, succeeded, slower }]) => [
      rule,
      { finished, succeeded, failed: finished - succeeded, slower },
    ]),
  );
}

/** Every SLO evaluated now from the run history in the store. */
export async function evaluateSlos(
  history: RunHistoryRepository,
  settings: ObservabilitySettings['slo'],
  knownRules: Iterable<string>,
  now: number,
): Promise<SloStatus[]> {
  const configured = sloDefinitions(settings, knownRules);
  const thresholds = [...new Set(configured.flatMap((d) => (d.thresholdSeconds ? [d.thresholdSeconds] : [])))];
  const lengths = windowLengths(configured, settings.windows);
  const byWindow = new Map<number, Map<string, WindowCounts>>();
  for (const minutes of lengths)
    byWindow.set(minutes, await countsByRule(history, now - minutes * MINUTE_MS, thresholds));
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
