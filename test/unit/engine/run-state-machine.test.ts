import { decideAfterFailure, decideRun, retryDelayMs } from '../../../src/engine/run-state-machine';

const policy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 8000 };

describe('run state machine', () => {
  it('starts the next step only when the previous one succeeded', () => {
    expect(decideRun([{ idx: 0, state: 'succeeded' }, { idx: 1, state: 'blocked' }])).toEqual({ runState: 'running', unblock: 1, cancel: [] });
    expect(decideRun([{ idx: 0, state: 'waiting' }, { idx: 1, state: 'blocked' }])).toEqual({ runState: 'running', unblock: undefined, cancel: [] });
  });

  it('ends the run as succeeded when every step succeeded', () => {
    expect(decideRun([{ idx: 1, state: 'succeeded' }, { idx: 0, state: 'succeeded' }]).runState).toBe('succeeded');
  });

  it('fails the run on a failed step and cancels the steps that never started', () => {
    expect(decideRun([{ idx: 0, state: 'failed' }, { idx: 1, state: 'blocked' }, { idx: 2, state: 'blocked' }])).toEqual({ runState: 'failed', cancel: [1, 2] });
  });

  it('ends the run refused, not failed, when a gate refused a step, and cancels the rest', () => {
    expect(decideRun([{ idx: 0, state: 'succeeded' }, { idx: 1, state: 'refused' }, { idx: 2, state: 'blocked' }])).toEqual({ runState: 'refused', cancel: [2] });
  });
});

describe('retries', () => {
  it('backs off exponentially with jitter, up to the ceiling', () => {
    expect(retryDelayMs(1, policy, 0)).toBe(500);
    expect(retryDelayMs(1, policy, 1)).toBe(1000);
    expect(retryDelayMs(3, policy, 1)).toBe(4000);
    expect(retryDelayMs(10, policy, 1)).toBe(8000);
  });

  it('never retries sooner than Retry-After asks', () => {
    expect(retryDelayMs(1, policy, 0, 30_000)).toBe(30_000);
  });

  it('retries a transient failure from scratch and an ambiguous one by recovering first', () => {
    expect(decideAfterFailure({ state: 'starting', attempt: 1, hasExternalRef: false }, 'transient', policy, 0)).toEqual({ state: 'pending', delayMs: 500 });
    expect(decideAfterFailure({ state: 'starting', attempt: 1, hasExternalRef: false }, 'ambiguous', policy, 0)).toEqual({ state: 'starting', delayMs: 500 });
  });

  it('keeps checking the same backend job when checking it failed transiently', () => {
    expect(decideAfterFailure({ state: 'waiting', attempt: 1, hasExternalRef: true }, 'transient', policy, 0)).toMatchObject({ state: 'waiting' });
  });

  it('fails at once on a permanent error, and after the last attempt on any error', () => {
    expect(decideAfterFailure({ state: 'starting', attempt: 1, hasExternalRef: false }, 'permanent', policy, 0)).toEqual({ state: 'failed' });
    expect(decideAfterFailure({ state: 'starting', attempt: 4, hasExternalRef: false }, 'transient', policy, 0)).toEqual({ state: 'failed' });
  });
});
