import type { EventLoopUtilization } from 'node:perf_hooks';
import { intakeFirst } from '../../../src/engine/intake-first';

/** A clock and an event loop whose busy share over each window the test sets. */
function harness() {
  let at = 0;
  let busyShare = 0;
  const utilization = (since?: EventLoopUtilization): EventLoopUtilization =>
    since ? { idle: 0, active: 0, utilization: busyShare } : { idle: 0, active: 0, utilization: 0 };
  const policy = intakeFirst({ now: () => at, utilization });
  const arrive = (count: number) => {
    for (let i = 0; i < count; i++) policy.arrived();
  };
  return {
    policy,
    arrive,
    advance: (ms: number) => void (at += ms),
    loopBusy: (share: number) => void (busyShare = share),
  };
}

describe('intakeFirst', () => {
  it('has the dispatcher rest nine times its round while a burst arrives into a saturated loop', () => {
    const { policy, arrive, advance, loopBusy } = harness();
    loopBusy(0.97);
    arrive(150);
    advance(100);
    expect(policy.restAfter(4)).toBe(36);
  });

  it('never rests while the loop has time to spare, however fast events arrive', () => {
    const { policy, arrive, advance, loopBusy } = harness();
    loopBusy(0.6);
    arrive(300);
    advance(100);
    expect(policy.restAfter(4)).toBe(0);
  });

  it('never rests for a steady stream below a burst (500 a second), even with the loop busy on other work', () => {
    const { policy, arrive, advance, loopBusy } = harness();
    loopBusy(0.97);
    for (let i = 0; i < 10; i++) {
      arrive(50);
      advance(100);
      expect(policy.restAfter(4)).toBe(0);
    }
  });

  it('stops resting once the burst is over, so the backlog goes at full speed', () => {
    const { policy, arrive, advance, loopBusy } = harness();
    loopBusy(0.97);
    arrive(150);
    advance(100);
    expect(policy.restAfter(4)).toBeGreaterThan(0);
    advance(100); // a window with no arrivals
    expect(policy.restAfter(4)).toBe(0);
  });

  it('judges the loop afresh each window: once it has room again, no rest', () => {
    const { policy, arrive, advance, loopBusy } = harness();
    loopBusy(0.97);
    arrive(150);
    advance(100);
    expect(policy.restAfter(2)).toBe(18);
    loopBusy(0.5);
    arrive(150);
    advance(100);
    expect(policy.restAfter(2)).toBe(0);
  });
});
