import type { BurnWindow, ObservabilitySettings, SloSettings } from '../observability/observability-config';

/**
 * The SLOs' pure core: which SLOs exist, and whether each burns its error budget, by the
 * multi-window, multi-burn-rate method of the SRE workbook
 * (https://sre.google/workbook/alerting-on-slos/#6-multiwindow-multi-burn-rate-alerts).
 */

/** The rule an SLO is about; `*` stands for every run of every rule together. */
export const ALL_RULES = '*';
const DEFAULT_PERIOD_DAYS = 30;

export interface SloDefinition {
  /** `<rule>:success` or `<rule>:duration` (`*:success` for the whole). */
  id: string;
  rule: string;
  indicator: 'success' | 'duration';
  objective: number;
  periodDays: number;
  /** duration SLOs: a succeeded run slower than this is a bad event. */
  thresholdSeconds?: number;
}

/** Runs of one rule that finished within one window. */
export interface WindowCounts {
  /** succeeded, failed and writeback_failed (refused and cancelled say nothing about automation's health). */
  finished: number;
  failed: number;
  succeeded: number;
  /** succeeded runs slower than each threshold, keyed by the threshold in seconds */
  slower: ReadonlyMap<number, number>;
}

export interface WindowBurn extends BurnWindow {
  /** The burn rate at which the long window spends `budgetConsumed` of the period's budget. */
  threshold: number;
  longBurnRate: number;
  shortBurnRate: number;
  longEvents: number;
  firing: boolean;
}

export interface SloStatus extends SloDefinition {
  /** Over the whole period: events, bad events, the SLI (good / events; null without events). */
  events: number;
  bad: number;
  sli: number | null;
  /** Share of the period's error budget left (negative once overspent; null without events). */
  errorBudgetRemaining: number | null;
  windows: WindowBurn[];
  /** The most severe window that fires, or null. */
  burning: 'page' | 'ticket' | null;
}

/** The SLOs of the given rules (each with its own settings over the default) and of all rules together. */
export function sloDefinitions(settings: ObservabilitySettings['slo'], rules: Iterable<string>): SloDefinition[] {
  const ids = [...new Set([...rules, ...Object.keys(settings.rules)])].sort();
  return [ALL_RULES, ...ids].flatMap((rule) =>
    definitionsOf(rule, { ...settings.default, ...(rule === ALL_RULES ? {} : settings.rules[rule]) }),
  );
}

function definitionsOf(rule: string, slo: SloSettings): SloDefinition[] {
  const periodDays = slo.periodDays ?? DEFAULT_PERIOD_DAYS;
  const defs: SloDefinition[] = [];
  if (slo.success !== undefined)
    defs.push({ id: `${rule}:success`, rule, indicator: 'success', objective: slo.success, periodDays });
  if (slo.duration)
    defs.push({
      id: `${rule}:duration`,
      rule,
      indicator: 'duration',
      objective: slo.duration.objective,
      periodDays,
      thresholdSeconds: slo.duration.thresholdSeconds,
    });
  return defs;
}

/** Events and bad events of one SLO in one window's counts. */
export function eventsOf(def: SloDefinition, counts: WindowCounts | undefined): { events: number; bad: number } {
  if (!counts) return { events: 0, bad: 0 };
  if (def.indicator === 'success') return { events: counts.finished, bad: counts.failed };
  return { events: counts.succeeded, bad: counts.slower.get(def.thresholdSeconds!) ?? 0 };
}

/** Error ratio divided by the error budget: 1 spends the budget exactly over the period. */
export function burnRate(events: number, bad: number, objective: number): number {
  return events === 0 ? 0 : bad / events / (1 - objective);
}

/**
 * Evaluates one SLO. `countsOver(minutes)` gives the rule's counts for the window ending now of
 * that length (every window the settings name, and the period, must be answerable).
 */
export function evaluateSlo(
  def: SloDefinition,
  windows: readonly BurnWindow[],
  minRuns: number,
  countsOver: (minutes: number) => WindowCounts | undefined,
): SloStatus {
  const periodMinutes = def.periodDays * 24 * 60;
  const period = eventsOf(def, countsOver(periodMinutes));
  const burns = windows.map((window): WindowBurn => {
    const long = eventsOf(def, countsOver(window.longMinutes));
    const short = eventsOf(def, countsOver(window.shortMinutes));
    const threshold = (window.budgetConsumed * periodMinutes) / window.longMinutes;
    const longBurnRate = burnRate(long.events, long.bad, def.objective);
    const shortBurnRate = burnRate(short.events, short.bad, def.objective);
    const firing = long.events >= minRuns && longBurnRate >= threshold && shortBurnRate >= threshold;
    return { ...window, threshold, longBurnRate, shortBurnRate, longEvents: long.events, firing };
  });
  const firing = burns.filter((w) => w.firing);
  return {
    ...def,
    events: period.events,
    bad: period.bad,
    sli: period.events === 0 ? null : (period.events - period.bad) / period.events,
    errorBudgetRemaining: period.events === 0 ? null : 1 - burnRate(period.events, period.bad, def.objective),
    windows: burns,
    burning: firing.some((w) => w.severity === 'page') ? 'page' : firing.length > 0 ? 'ticket' : null,
  };
}

/** Every window length (minutes) the SLOs need counts for. */
export function windowLengths(defs: readonly SloDefinition[], windows: readonly BurnWindow[]): number[] {
  const lengths = new Set<number>(defs.map((d) => d.periodDays * 24 * 60));
  for (const w of windows) lengths.add(w.longMinutes).add(w.shortMinutes);
  return [...lengths].sort((a, b) => a - b);
}

/** Per-rule counts summed into the whole (`*`). */
export function totalOf(byRule: ReadonlyMap<string, WindowCounts>): WindowCounts {
  const slower = new Map<number, number>();
  let finished = 0;
  let failed = 0;
  let succeeded = 0;
  for (const counts of byRule.values()) {
    finished += counts.finished;
    failed += counts.failed;
    succeeded += counts.succeeded;
    for (const [t, n] of counts.slower) slower.set(t, (slower.get(t) ?? 0) + n);
  }
  return { finished, failed, succeeded, slower };
}
