import type { EventLoopUtilization } from 'node:perf_hooks';
import { intakeFirst } from '../../../src/engine/intake-first';

/** A clock and an event loop whose busy share over each window the test sets. */
function harness() {
  let at = 0;
  let busyShare = 0;
  const utilization = (since?: EventLoopUtilization): EventLoopUtilization =>
    since ? { idle: 0, active: 0, utilization: busyShare } : { idle: 0, active: 0, utilization: 0 };
  const policy = intakeFirst({ now: () => at, utilization });
  return {
    policy,
    advance: (ms: number) => void (at += ms),
    loopBusy: (share: number) => void (busyShare = share),
  };
}

describe('intakeFirst', () => {
  it('has the dispatcher rest nine times its round while events arrive into a saturated loop', () => {
    const { policy, advance, loopBusy } = harness();
    loopBusy(0.97);
    advance(100);
    policy.arrived();
    expect(policy.restAfter(4)).toBe(36);
  });

  it('never rests while the loop has time to spare, however fast events arrive', () => {
    const { policy, advance, loopBusy } = harness();
    loopBusy(0.6);
    advance(100);
    policy.arrived();
    expect(policy.restAfter(4)).toBe(0);
  });

  it('stops resting once arrivals stop, so the backlog goes at full speed', () => {
    const { policy, advance, loopBusy } = harness();
    loopBusy(0.97);
    advance(100);
    policy.arrived();
    expect(policy.restAfter(4)).toBeGreaterThan(0);
    advance(50);
    expect(policy.restAfter(4)).toBe(0);
  });

  it('judges the loop afresh each window: once it has room again, no rest', () => {
    const { policy, advance, loopBusy } = harness();
    loopBusy(0.97);
    advance(100);
    policy.arrived();
    expect(policy.restAfter(2)).toBe(18);
    loopBusy(0.5);
    advance(100);
    policy.arrived();
    expect(policy.restAfter(2)).toBe(0);
  });
});
