import { changeBetween } from '../../../src/api/live-changes';
import { createCallBudget } from '../../../src/observability/call-budget';

const snapshot = (counts: string, runs: Record<string, string>) => ({
  counts,
  activeRuns: new Map(Object.entries(runs)),
});

describe('what the live view tells consoles', () => {
  it('names the runs that moved, started or ended, and says when counts changed', () => {
    const before = snapshot('run:running=2', { a: 'running|0:waiting', b: 'running|0:waiting' });
    expect(changeBetween(before, before)).toBeUndefined();
    expect(
      changeBetween(before, snapshot('run:running=2', { a: 'running|0:succeeded', b: 'running|0:waiting' })),
    ).toEqual({ runs: ['a'], counts: false });
    expect(changeBetween(before, snapshot('run:running=1,run:succeeded=1', { a: 'running|0:waiting' }))).toEqual({
      runs: ['b'],
      counts: true,
    });
  });
});

describe('the ServiceNow API budget', () => {
  it('counts calls per clock hour against the configured limit', async () => {
    let now = Date.parse('2026-12-04T10:59:00Z');
    const budget = createCallBudget({ limitPerHour: 100, remaining: async () => 97, now: () => now });
    budget.record();
    now = Date.parse('2026-12-04T11:01:00Z');
    budget.record();
    budget.record();
    expect(await budget.view(3)).toEqual({
      limitPerHour: 100,
      remaining: 97,
      perHour: [
        { hour: '2026-12-04T09:00:00.000Z', calls: 0 },
        { hour: '2026-12-04T10:00:00.000Z', calls: 1 },
        { hour: '2026-12-04T11:00:00.000Z', calls: 2 },
      ],
    });
  });

  it('has no limit nor remainder when none is configured', async () => {
    const view = await createCallBudget({ remaining: async () => 5 }).view(1);
    expect(view).toMatchObject({ limitPerHour: null, remaining: null });
  });
});
