import { exampleRecord } from '../../../src/loadtest/example-record';
import { loadFigures, sloTargetsFrom } from '../../../src/loadtest/load-figures';

describe('load test figures', () => {
  const samples = Array.from({ length: 20 }, (_, i) => ({
    sentAt: 1000 * i,
    finishedAt: i === 19 ? undefined : 1000 * i + 100 * (i + 1),
    succeeded: i < 18,
  }));

  it('measures ticket → run finished by nearest rank, counting an unfinished run as a failure', () => {
    const figures = loadFigures(samples, { p95Ms: 1500, successRate: 0.9, source: 'slo.default' });
    expect(figures).toMatchObject({ tickets: 20, finished: 19, succeeded: 18, p50Ms: 1000, p95Ms: 1900, p99Ms: 1900 });
    expect(figures.successRate).toBe(0.9);
    expect(figures.slo).toEqual({ held: false, reasons: ['p95 1900 ms > 1500 ms'], source: 'slo.default' });
  });

  it('says no SLO was declared rather than that it held', () => {
    expect(loadFigures(samples, { source: 'none configured' }).slo.held).toBeNull();
  });

  it("reads the rule's targets from slo.rules, else slo.default", () => {
    const config = { slo: { default: { successRate: 0.99 }, rules: { fast: { p95Ms: 500 } } } };
    expect(sloTargetsFrom(config, 'fast')).toEqual({ p95Ms: 500, source: 'slo.rules.fast' });
    expect(sloTargetsFrom(config, 'other')).toEqual({ successRate: 0.99, source: 'slo.default' });
    expect(sloTargetsFrom({}, 'other')).toEqual({ source: 'none configured' });
  });

  it('builds ticket fields that satisfy a simple condition', () => {
    expect(exampleRecord('active=true^short_descriptionLIKEis down on^stateIN1,2^caller_id.vip=true', 7)).toEqual({
      active: 'true',
      short_description: 'loadtest-7 is down on host-7',
      state: '1',
    });
  });
});
