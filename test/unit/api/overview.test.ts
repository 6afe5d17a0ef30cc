import { overviewOf } from '../../../src/api/overview';

const H = 3_600_000;
const T0 = Date.parse('2026-12-04T10:00:00Z');
const run = (rule: string, state: string, createdAt: number, durationMs: number | null) => ({
  rule_id: rule,
  state,
  created_at: createdAt,
  finished_at: durationMs === null ? null : createdAt + durationMs,
});

describe('overviewOf', () => {
  const runs = [
    run('restart', 'succeeded', T0 + 5 * 60_000, 1000),
    run('restart', 'succeeded', T0 + 10 * 60_000, 2000),
    run('restart', 'failed', T0 + H + 60_000, 9000),
    run('restart', 'succeeded', T0 + H + 120_000, 3000),
    run('disk', 'running', T0 + 2 * H + 60_000, null),
  ];
  const overview = overviewOf(runs, T0, T0 + 3 * H, false);

  it('counts runs started, succeeded and failed per hour', () => {
    expect(overview.perHour).toEqual([
      { hour: '2026-12-04T10:00:00.000Z', started: 2, succeeded: 2, failed: 0 },
      { hour: '2026-12-04T11:00:00.000Z', started: 2, succeeded: 1, failed: 1 },
      { hour: '2026-12-04T12:00:00.000Z', started: 1, succeeded: 0, failed: 0 },
    ]);
  });

  it('rates success over finished runs only, and gives duration percentiles per rule', () => {
    expect(overview.successRate).toBe(0.75);
    expect(overview.byRule).toEqual([
      { rule: 'disk', runs: 1, succeeded: 0, failed: 0, p50Ms: null, p95Ms: null },
      { rule: 'restart', runs: 4, succeeded: 3, failed: 1, p50Ms: 2000, p95Ms: 9000 },
    ]);
  });

  it('has no success rate when nothing finished', () => {
    expect(overviewOf([], T0, T0 + H, false)).toMatchObject({ successRate: null, byRule: [] });
  });
});
