import type { Metrics } from './metrics';

/** A run as the SLIs see it. */
interface RunTimes {
  rule_id: string;
  created_at: number;
}

/** A run ended: its duration by outcome (the SLI of the duration SLOs). */
export function observeRunEnd(metrics: Metrics, run: RunTimes, outcome: string, at: number): void {
  metrics.runsFinished.inc({ rule: run.rule_id, outcome });
  metrics.runDuration.observe({ rule: run.rule_id, outcome }, Math.max(0, at - Number(run.created_at)) / 1000);
}

/** A run's first step starts now. */
export function observeFirstStep(metrics: Metrics, run: RunTimes, at: number): void {
  metrics.eventToFirstStep.observe({ rule: run.rule_id }, Math.max(0, at - Number(run.created_at)) / 1000);
}
