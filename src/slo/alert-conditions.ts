import type { AlertSettings } from '../observability/observability-config';
import type { SloStatus } from './burn-rate';

/**
 * The conditions Snowline raises in ServiceNow, judged from history alone (pure): an SLO that burns,
 * a step slower than its own past, a rule failing again and again on one CI or one parallel branch,
 * webhooks gone quiet while polling still finds changes. A condition's key is stable while it lasts,
 * so one record follows it from start to end.
 */

export type AlertKind = 'slo_burn' | 'step_anomaly' | 'repeated_failure' | 'webhook_silence' | 'alertmanager';

export interface AlertCondition {
  key: string;
  kind: AlertKind;
  /** Stable while the condition lasts: the record's short description. */
  summary: string;
  /** The current figures (a change may update the record). */
  detail: Record<string, unknown>;
  severity: 'page' | 'ticket';
  /** Extra fields of the incident opened (Alertmanager's `cmdb_ci` label, say), so rules can act on it. */
  fields?: Record<string, string>;
}

export function sloConditions(statuses: readonly SloStatus[]): AlertCondition[] {
  return statuses
    .filter((s) => s.burning !== null)
    .map((s) => ({
      key: `slo:${s.id}`,
      kind: 'slo_burn',
      summary: `SLO ${s.id} is burning its error budget (${s.indicator} objective ${s.objective * 100} % over ${s.periodDays} d)`,
      severity: s.burning!,
      detail: {
        slo: s.id,
        errorBudgetRemaining: round(s.errorBudgetRemaining),
        firing: s.windows
          .filter((w) => w.firing)
          .map((w) => ({
            window: `${w.longMinutes}m/${w.shortMinutes}m`,
            burnRate: round(w.longBurnRate),
            threshold: round(w.threshold),
          })),
      },
    }));
}

/** One finished execution of a rule's step. */
export interface StepSample {
  rule: string;
  step: string;
  durationMs: number;
  finishedAt: number;
}

const MAD_SCALE = 0.6745;

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Median and median absolute deviation of a history, and the modified z-score of a value against
 * it (Iglewicz and Hoaglin: 0.6745·(x − median)/MAD). Outliers in the history barely move either,
 * unlike a mean and standard deviation. A history that never varies (MAD 0) is given a MAD of 1 %
 * of its median, so only a real departure scores high.
 */
export function robustScore(value: number, history: readonly number[]): { median: number; mad: number; score: number } {
  const sorted = [...history].sort((a, b) => a - b);
  const m = median(sorted);
  const mad = median(sorted.map((v) => Math.abs(v - m)).sort((a, b) => a - b)) || Math.max(m * 0.01, 1);
  return { median: m, mad, score: (MAD_SCALE * (value - m)) / mad };
}

/**
 * A step is anomalous when its latest `consecutive` executions are all slower than its history
 * (the executions before them) by the score and ratio thresholds. Samples: newest first per step.
 */
export function stepAnomalies(samples: readonly StepSample[], settings: AlertSettings['anomaly']): AlertCondition[] {
  const byStep = new Map<string, StepSample[]>();
  for (const s of samples) {
    const key = `${s.rule}\u0000${s.step}`;
    byStep.set(key, [...(byStep.get(key) ?? []), s]);
  }
  const found: AlertCondition[] = [];
  for (const list of byStep.values()) {
    const newest = [...list].sort((a, b) => b.finishedAt - a.finishedAt).slice(0, settings.historySize);
    const latest = newest.slice(0, settings.consecutive);
    const history = newest.slice(settings.consecutive).map((s) => s.durationMs);
    if (latest.length < settings.consecutive || history.length < settings.minSamples) continue;
    const scored = latest.map((s) => ({ ...robustScore(s.durationMs, history), durationMs: s.durationMs }));
    if (!scored.every((s) => s.score > settings.threshold && s.durationMs >= s.median * settings.minRatio)) continue;
    const { rule, step } = latest[0]!;
    found.push({
      key: `anomaly:${rule}:${step}`,
      kind: 'step_anomaly',
      summary: `Step ${step} of rule ${rule} runs much slower than its history`,
      severity: 'ticket',
      detail: {
        rule,
        step,
        medianSeconds: round(scored[0]!.median / 1000),
        madSeconds: round(scored[0]!.mad / 1000),
        latestSeconds: latest.map((s) => round(s.durationMs / 1000)),
        score: round(Math.min(...scored.map((s) => s.score))),
        history: history.length,
      },
    });
  }
  return found;
}

/** A finished run, with the CI of its ticket and the parallel branch (step) that failed, if any. */
export interface RunOutcome {
  rule: string;
  ci: string;
  failed: boolean;
  /** The failed step when it was one of several running at once. */
  failedBranch?: string;
  /** Parallel steps the run executed, with whether each failed. */
  branches: ReadonlyArray<{ step: string; failed: boolean }>;
  finishedAt: number;
}

/** The latest runs of one subject all failed, at least `count` of them. */
function failingStreak(outcomes: readonly boolean[], count: number): number {
  const streak = outcomes.findIndex((failed) => !failed);
  const length = streak === -1 ? outcomes.length : streak;
  return length >= count ? length : 0;
}

/** A rule whose latest runs on one CI all failed; a parallel branch whose latest executions all failed. */
export function repeatedFailures(
  runs: readonly RunOutcome[],
  settings: AlertSettings['repeatedFailures'],
): AlertCondition[] {
  const newest = [...runs].sort((a, b) => b.finishedAt - a.finishedAt);
  const byCi = new Map<string, boolean[]>();
  const byBranch = new Map<string, boolean[]>();
  for (const run of newest) {
    if (run.ci) byCi.set(`${run.rule}\u0000${run.ci}`, [...(byCi.get(`${run.rule}\u0000${run.ci}`) ?? []), run.failed]);
    for (const b of run.branches)
      byBranch.set(`${run.rule}\u0000${b.step}`, [...(byBranch.get(`${run.rule}\u0000${b.step}`) ?? []), b.failed]);
  }
  const found: AlertCondition[] = [];
  for (const [key, outcomes] of byCi) {
    const streak = failingStreak(outcomes, settings.count);
    if (!streak) continue;
    const [rule, ci] = key.split('\u0000') as [string, string];
    found.push({
      key: `failures:ci:${rule}:${ci}`,
      kind: 'repeated_failure',
      summary: `Rule ${rule} keeps failing on configuration item ${ci}`,
      severity: 'ticket',
      detail: { rule, cmdb_ci: ci, consecutiveFailures: streak },
    });
  }
  for (const [key, outcomes] of byBranch) {
    const streak = failingStreak(outcomes, settings.count);
    if (!streak) continue;
    const [rule, step] = key.split('\u0000') as [string, string];
    found.push({
      key: `failures:branch:${rule}:${step}`,
      kind: 'repeated_failure',
      summary: `Branch ${step} of rule ${rule} keeps failing`,
      severity: 'ticket',
      detail: { rule, branch: step, consecutiveFailures: streak },
    });
  }
  return found;
}

/** Webhooks delivered nothing in the window while the poller found changes they should have announced. */
export function webhookSilence(
  counts: { webhook: number; polledOnly: number },
  settings: AlertSettings['webhookSilence'],
): AlertCondition[] {
  if (counts.webhook > 0 || counts.polledOnly < settings.minPolledChanges) return [];
  return [
    {
      key: 'webhooks:silent',
      kind: 'webhook_silence',
      summary: 'ServiceNow webhooks stopped arriving while polling still finds changes',
      severity: 'page',
      detail: { windowMinutes: settings.windowMinutes, webhookEvents: 0, changesFoundByPolling: counts.polledOnly },
    },
  ];
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 1000;
}
