import type { Metrics } from './metrics';
import { runSpanIdOf } from './trace-ids';
import { recordSpan } from './tracing';

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

/** The run's span, from its start to its end, parent of its steps' and write-backs' spans. */
export function recordRunSpan(
  run: RunTimes & { id: string; correlation_id: string; ticket_number: string },
  outcome: string,
  at: number,
): void {
  recordSpan(`run ${run.rule_id}`, {
    correlationId: run.correlation_id,
    spanId: runSpanIdOf(run.id),
    startTime: Number(run.created_at),
    endTime: at,
    failed: outcome !== 'succeeded',
    attributes: { 'snowline.rule': run.rule_id, 'snowline.ticket': run.ticket_number, 'snowline.outcome': outcome },
  });
}
