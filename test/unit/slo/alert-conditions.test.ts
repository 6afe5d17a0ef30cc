import { observabilitySchema } from '../../../src/observability/observability-config';
import {
  repeatedFailures,
  robustScore,
  stepAnomalies,
  webhookSilence,
  type StepSample,
} from '../../../src/slo/alert-conditions';

const alerts = observabilitySchema.parse({}).alerts;

function samples(durations: number[]): StepSample[] {
  // Newest last in the list given, as they happened.
  return durations.map((durationMs, i) => ({ rule: 'r', step: 'restart', durationMs, finishedAt: 1000 + i }));
}

describe('robust statistics of step durations', () => {
  it('scores by median and MAD, so one outlier in the history does not hide a slowdown', () => {
    const history = [10, 11, 9, 10, 12, 10, 500];
    expect(robustScore(30, history).median).toBe(10);
    expect(robustScore(30, history).score).toBeGreaterThan(3.5);
  });

  it('flags a step whose latest executions are all far slower than its own history', () => {
    const history = Array.from({ length: 30 }, (_, i) => 1000 + (i % 5) * 20);
    const found = stepAnomalies(samples([...history, 4000, 4200]), alerts.anomaly);
    expect(found).toEqual([expect.objectContaining({ key: 'anomaly:r:restart', kind: 'step_anomaly' })]);
  });

  it('does not flag one slow execution, a step with too little history, or a modest slowdown', () => {
    const history = Array.from({ length: 30 }, (_, i) => 1000 + (i % 5) * 20);
    expect(stepAnomalies(samples([...history, 1000, 4200]), alerts.anomaly)).toEqual([]);
    expect(stepAnomalies(samples([1000, 1010, 4000, 4200]), alerts.anomaly)).toEqual([]);
    // Far in MADs (a very steady step) but not 1.5 × its median.
    expect(stepAnomalies(samples([...history, 1300, 1300]), alerts.anomaly)).toEqual([]);
  });
});

describe('repeated failures', () => {
  const run = (ci: string, failed: boolean, at: number, branches: Array<{ step: string; failed: boolean }> = []) => ({
    rule: 'r',
    ci,
    failed,
    branches,
    finishedAt: at,
  });

  it('holds while the latest runs on one CI all failed, and clears with a success', () => {
    const failing = [run('ci1', true, 1), run('ci1', true, 2), run('ci1', true, 3), run('ci2', false, 4)];
    expect(repeatedFailures(failing, alerts.repeatedFailures).map((c) => c.key)).toEqual(['failures:ci:r:ci1']);
    expect(repeatedFailures([...failing, run('ci1', false, 5)], alerts.repeatedFailures)).toEqual([]);
  });

  it('names a parallel branch that keeps failing while the others succeed', () => {
    const branches = [
      { step: 'a', failed: true },
      { step: 'b', failed: false },
    ];
    const runs = [1, 2, 3].map((at) => run('', true, at, branches));
    expect(repeatedFailures(runs, alerts.repeatedFailures).map((c) => c.key)).toEqual(['failures:branch:r:a']);
  });
});

describe('webhook silence', () => {
  it('holds when polling found changes and no webhook arrived', () => {
    expect(webhookSilence({ webhook: 0, polledOnly: 5 }, alerts.webhookSilence)).toHaveLength(1);
    expect(webhookSilence({ webhook: 1, polledOnly: 5 }, alerts.webhookSilence)).toEqual([]);
    expect(webhookSilence({ webhook: 0, polledOnly: 1 }, alerts.webhookSilence)).toEqual([]);
  });
});
