import { z } from 'zod';

/** What a rule is held to: its SLO's p95 run duration and success share. */
export interface SloTargets {
  p95Ms?: number;
  successRate?: number;
  source: string;
}

const targetsSchema = z.object({
  p95Ms: z.number().positive().optional(),
  successRate: z.number().min(0).max(1).optional(),
});

/**
 * The rule's SLO targets from configuration, read leniently: `slo.rules.<rule>` then `slo.default`
 * (the SLO settings' own schema lives with the SLO feature; only these two fields are read here).
 */
export function sloTargetsFrom(config: unknown, rule: string): SloTargets {
  const slo = (config as { slo?: { rules?: Record<string, unknown>; default?: unknown } } | undefined)?.slo;
  for (const [candidate, source] of [
    [slo?.rules?.[rule], `slo.rules.${rule}`],
    [slo?.default, 'slo.default'],
  ] as const) {
    const parsed = targetsSchema.safeParse(candidate);
    if (parsed.success && (parsed.data.p95Ms !== undefined || parsed.data.successRate !== undefined))
      return { ...parsed.data, source };
  }
  return { source: 'none configured' };
}

/** One ticket the load test created and what became of its run. */
export interface LoadSample {
  sentAt: number;
  /** Run finished (any outcome), epoch ms; undefined when it did not finish in time. */
  finishedAt?: number;
  succeeded: boolean;
}

export interface LoadFigures {
  tickets: number;
  finished: number;
  succeeded: number;
  /** Finished runs per second, from the first ticket sent to the last run finished. */
  throughputPerSecond: number;
  /** Ticket created → run finished, nearest rank. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  successRate: number | null;
  slo: { held: boolean | null; reasons: string[]; source: string };
}

export function nearestRank(sorted: readonly number[], percentile: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((percentile / 100) * sorted.length) - 1)]!;
}

/** Throughput, latency percentiles and the SLO verdict of a load test; unfinished runs count as failures. */
export function loadFigures(samples: readonly LoadSample[], targets: SloTargets): LoadFigures {
  const finished = samples.filter((s) => s.finishedAt !== undefined);
  const latencies = finished.map((s) => s.finishedAt! - s.sentAt).sort((a, b) => a - b);
  const first = Math.min(...samples.map((s) => s.sentAt));
  const last = Math.max(...finished.map((s) => s.finishedAt!));
  const succeeded = samples.filter((s) => s.succeeded).length;
  const successRate = samples.length === 0 ? null : succeeded / samples.length;
  const p95Ms = nearestRank(latencies, 95);
  const reasons: string[] = [];
  if (targets.p95Ms !== undefined && (p95Ms === null || p95Ms > targets.p95Ms))
    reasons.push(`p95 ${p95Ms ?? '–'} ms > ${targets.p95Ms} ms`);
  if (targets.successRate !== undefined && (successRate ?? 0) < targets.successRate)
    reasons.push(`success ${((successRate ?? 0) * 100).toFixed(1)} % < ${targets.successRate * 100} %`);
  const declared = targets.p95Ms !== undefined || targets.successRate !== undefined;
  return {
    tickets: samples.length,
    finished: finished.length,
    succeeded,
    throughputPerSecond: finished.length === 0 ? 0 : finished.length / Math.max(0.001, (last - first) / 1000),
    p50Ms: nearestRank(latencies, 50),
    p95Ms,
    p99Ms: nearestRank(latencies, 99),
    successRate,
    slo: { held: declared ? reasons.length === 0 : null, reasons, source: targets.source },
  };
}
