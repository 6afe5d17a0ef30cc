import { observabilitySchema } from '../../../src/observability/observability-config';
import { evaluateSlo, sloDefinitions, type WindowCounts } from '../../../src/slo/burn-rate';

const settings = observabilitySchema.parse({}).slo;

function counts(finished: number, failed: number): WindowCounts {
  return { finished, failed, succeeded: finished - failed, slower: new Map() };
}

describe('SLO burn rates (SRE workbook, multi-window multi-burn-rate)', () => {
  const [def] = sloDefinitions(settings, []);

  it('declares a 99 % success SLO over 30 days for all rules and for each rule by default', () => {
    expect(sloDefinitions(settings, ['a']).map((d) => [d.id, d.objective, d.periodDays])).toEqual([
      ['*:success', 0.99, 30],
      ['a:success', 0.99, 30],
    ]);
  });

  it('pages when both the 1 h and the 5 min window burn 14.4 times the budget', () => {
    // 20 % failures = 20 × the 1 % budget, in both windows.
    const status = evaluateSlo(def!, settings.windows, settings.minRuns, (minutes) =>
      minutes <= 60 ? counts(50, 10) : counts(5000, 10),
    );
    const fast = status.windows[0]!;
    expect(fast.threshold).toBeCloseTo(14.4);
    expect(fast.longBurnRate).toBeCloseTo(20);
    expect(fast.firing).toBe(true);
    expect(status.burning).toBe('page');
    expect(status.errorBudgetRemaining).toBeCloseTo(0.8);
  });

  it('does not page once the short window is clean again (the problem stopped)', () => {
    const status = evaluateSlo(def!, settings.windows, settings.minRuns, (minutes) =>
      minutes <= 5 ? counts(10, 0) : minutes <= 60 ? counts(50, 10) : counts(5000, 10),
    );
    expect(status.windows[0]!.firing).toBe(false);
    expect(status.burning).toBeNull();
  });

  it('opens a ticket, not a page, for a slow burn seen only over days', () => {
    // 2 % failures in every window: twice the budget, above 1 (3 d) but below 6 and 14.4.
    const status = evaluateSlo(def!, settings.windows, settings.minRuns, () => counts(1000, 20));
    expect(status.windows.map((w) => w.firing)).toEqual([false, false, true]);
    expect(status.burning).toBe('ticket');
  });

  it('does not burn on a single failed run: the long window needs minRuns runs', () => {
    const status = evaluateSlo(def!, settings.windows, settings.minRuns, () => counts(1, 1));
    expect(status.burning).toBeNull();
  });

  it('judges a duration SLO by the share of succeeded runs slower than the threshold', () => {
    const [duration] = sloDefinitions(
      { ...settings, default: { duration: { objective: 0.95, thresholdSeconds: 600 } } },
      [],
    );
    const status = evaluateSlo(duration!, settings.windows, settings.minRuns, () => ({
      finished: 100,
      failed: 0,
      succeeded: 100,
      slower: new Map([[600, 10]]),
    }));
    expect(status.sli).toBeCloseTo(0.9);
    expect(status.windows[2]!.longBurnRate).toBeCloseTo(2);
  });
});
