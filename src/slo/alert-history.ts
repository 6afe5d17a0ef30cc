import type { AlertSettings } from '../observability/observability-config';
import { runContextOf } from '../engine/run-context';
import type { RunHistoryRepository } from '../store/run-history.repository';
import type { RunOutcome, StepSample } from './alert-conditions';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Step executions read for the anomaly check, newest first: enough for every step's history. */
const MAX_STEP_SAMPLES = 50_000;
/** A site whose webhooks never delivered anything polls on purpose: its silence is no alert. */
const WEBHOOKS_SEEN_WITHIN_MS = 7 * DAY_MS;

/** Durations of succeeded step executions within the lookback, newest first. */
export async function stepSamples(
  history: RunHistoryRepository,
  settings: AlertSettings['anomaly'],
  now: number,
): Promise<StepSample[]> {
  const rows = await history.succeededSteps(now - settings.lookbackDays * DAY_MS, MAX_STEP_SAMPLES);
  return rows
    .filter((r) => r.started_at !== null && r.finished_at !== null)
    .map((r) => ({
      rule: r.rule_id,
      step: r.name,
      durationMs: Number(r.finished_at) - Number(r.started_at),
      finishedAt: Number(r.finished_at),
    }));
}

/** Runs finished within the window, with their ticket's CI and the outcome of each parallel branch. */
export async function runOutcomes(
  history: RunHistoryRepository,
  settings: AlertSettings['repeatedFailures'],
  now: number,
): Promise<RunOutcome[]> {
  const since = now - settings.windowMinutes * MINUTE_MS;
  const runs = await history.finishedRuns(since);
  if (runs.length === 0) return [];
  const steps = await history.stepsOfRunsFinishedSince(since);
  return runs.map((run) => {
    const own = steps.filter((s) => s.run_id === run.id);
    const parallel = own.filter((s) => own.some((o) => o !== s && o.stage === s.stage));
    return {
      rule: run.rule_id,
      ci: ciOf(run),
      failed: run.state !== 'succeeded',
      branches: parallel
        .filter((s) => s.state === 'succeeded' || s.state === 'failed')
        .map((s) => ({ step: s.name, failed: s.state === 'failed' })),
      finishedAt: Number(run.finished_at),
    };
  });
}

/**
 * The ticket's configuration item (sys_id) as the run saw it, or ''. A run whose context is corrupt
 * (its own step failed saying so) counts as a failure without a CI rather than stopping every alert.
 */
function ciOf(run: { id: string; context: string }): string {
  try {
    return runContextOf(run).ticket.cmdb_ci ?? '';
  } catch {
    return '';
  }
}

/** Events of the window by where they came from first: webhooks, and changes only the poller found. */
export async function ingestSources(
  history: RunHistoryRepository,
  settings: AlertSettings['webhookSilence'],
  now: number,
): Promise<{ webhook: number; polledOnly: number; webhooksEverSeen: boolean }> {
  const { webhook, poll } = await history.eventsBySource(now - settings.windowMinutes * MINUTE_MS);
  const webhooksEverSeen = await history.webhookSeenSince(now - WEBHOOKS_SEEN_WITHIN_MS);
  return { webhook, polledOnly: poll, webhooksEverSeen };
}
