import {
  decideAfterFailure,
  decideRun,
  retryDelayMs,
  stageOutcome,
  type Join,
  type StepState,
  type StepView,
} from '../../../src/engine/run-state-machine';

const policy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 8000 };

describe('run state machine', () => {
  it('starts the next step only when the previous one succeeded', () => {
    expect(
      decideRun([
        { idx: 0, state: 'succeeded' },
        { idx: 1, state: 'blocked' },
      ]),
    ).toEqual({ runState: 'running', unblock: [1], cancel: [] });
    expect(
      decideRun([
        { idx: 0, state: 'waiting' },
        { idx: 1, state: 'blocked' },
      ]),
    ).toEqual({ runState: 'running', unblock: [], cancel: [] });
  });

  it('ends the run as succeeded when every step succeeded', () => {
    expect(
      decideRun([
        { idx: 1, state: 'succeeded' },
        { idx: 0, state: 'succeeded' },
      ]).runState,
    ).toBe('succeeded');
  });

  it('fails the run on a failed step and cancels the steps that never started', () => {
    expect(
      decideRun([
        { idx: 0, state: 'failed' },
        { idx: 1, state: 'blocked' },
        { idx: 2, state: 'blocked' },
      ]),
    ).toEqual({ runState: 'failed', unblock: [], cancel: [1, 2] });
  });

  it('ends the run refused, not failed, when a gate refused a step, and cancels the rest', () => {
    expect(
      decideRun([
        { idx: 0, state: 'succeeded' },
        { idx: 1, state: 'refused' },
        { idx: 2, state: 'blocked' },
      ]),
    ).toEqual({ runState: 'refused', unblock: [], cancel: [2] });
  });
});

describe('parallel branches and joins', () => {
  const stage = (states: StepState[], join?: Join): StepView[] => [
    { idx: 0, stage: 0, state: 'succeeded' },
    ...states.map((state, i) => ({ idx: i + 1, stage: 1, state, join })),
    { idx: states.length + 1, stage: 2, state: 'blocked' as StepState },
  ];

  it('starts every branch of a stage at once when the stage before it succeeded', () => {
    expect(decideRun(stage(['blocked', 'blocked', 'blocked']))).toEqual({
      runState: 'running',
      unblock: [1, 2, 3],
      cancel: [],
    });
  });

  it('join all: waits for every branch, fails on the first failure and cancels the branches still running', () => {
    expect(decideRun(stage(['succeeded', 'waiting', 'succeeded'])).unblock).toEqual([]);
    expect(decideRun(stage(['succeeded', 'succeeded', 'succeeded'])).unblock).toEqual([4]);
    expect(decideRun(stage(['failed', 'waiting', 'pending']))).toEqual({
      runState: 'failed',
      unblock: [],
      cancel: [2, 3, 4],
    });
  });

  it('join first: the first success moves on and cancels the other branches; all failing fails', () => {
    expect(decideRun(stage(['waiting', 'succeeded', 'starting'], { kind: 'first' }))).toEqual({
      runState: 'running',
      unblock: [4],
      cancel: [1, 3],
    });
    expect(decideRun(stage(['failed', 'waiting', 'failed'], { kind: 'first' })).runState).toBe('running');
    expect(decideRun(stage(['failed', 'failed', 'failed'], { kind: 'first' })).runState).toBe('failed');
  });

  it('join at least N: succeeds at N, fails as soon as N can no longer be reached', () => {
    const twoOfThree: Join = { kind: 'at_least', n: 2 };
    expect(decideRun(stage(['succeeded', 'waiting', 'failed'], twoOfThree)).runState).toBe('running');
    expect(decideRun(stage(['succeeded', 'succeeded', 'waiting'], twoOfThree))).toEqual({
      runState: 'running',
      unblock: [4],
      cancel: [3],
    });
    expect(decideRun(stage(['failed', 'waiting', 'failed'], twoOfThree))).toEqual({
      runState: 'failed',
      unblock: [],
      cancel: [2, 4],
    });
  });

  it('counts skipped steps as neither success nor failure; a stage of skipped steps is done', () => {
    expect(
      stageOutcome([
        { idx: 0, state: 'skipped' },
        { idx: 1, state: 'skipped' },
      ]),
    ).toBe('succeeded');
    expect(
      stageOutcome(
        [
          { idx: 0, state: 'skipped' },
          { idx: 1, state: 'succeeded' },
        ],
        { kind: 'at_least', n: 2 },
      ),
    ).toBe('succeeded');
  });
});

describe('compensation', () => {
  // deploy(0) → migrate(1) → verify(2); undo_deploy(3) undoes 0, undo_migrate(4) undoes 1
  const run = (states: StepState[], undo: [StepState, StepState]): StepView[] => [
    ...states.map((state, idx) => ({ idx, state })),
    { idx: 3, state: undo[0], compensates: 0 },
    { idx: 4, state: undo[1], compensates: 1 },
  ];

  it('undoes the succeeded steps one at a time, latest first, then ends failed', () => {
    expect(decideRun(run(['succeeded', 'succeeded', 'failed'], ['blocked', 'blocked']))).toEqual({
      runState: 'running',
      unblock: [4],
      cancel: [],
    });
    expect(decideRun(run(['succeeded', 'succeeded', 'failed'], ['blocked', 'waiting']))).toEqual({
      runState: 'running',
      unblock: [],
      cancel: [],
    });
    expect(decideRun(run(['succeeded', 'succeeded', 'failed'], ['blocked', 'succeeded']))).toEqual({
      runState: 'running',
      unblock: [3],
      cancel: [],
    });
    expect(decideRun(run(['succeeded', 'succeeded', 'failed'], ['succeeded', 'failed']))).toEqual({
      runState: 'failed',
      unblock: [],
      cancel: [],
    });
  });

  it('does not undo a step that never succeeded, and cancels every compensation when the run succeeds', () => {
    expect(decideRun(run(['succeeded', 'failed', 'blocked'], ['blocked', 'blocked']))).toEqual({
      runState: 'running',
      unblock: [3],
      cancel: [2, 4],
    });
    expect(decideRun(run(['succeeded', 'succeeded', 'succeeded'], ['blocked', 'blocked']))).toEqual({
      runState: 'succeeded',
      unblock: [],
      cancel: [3, 4],
    });
  });

  it('compensates before ending refused when a gate refuses a later step', () => {
    expect(decideRun(run(['succeeded', 'refused', 'blocked'], ['blocked', 'blocked']))).toEqual({
      runState: 'running',
      unblock: [3],
      cancel: [2, 4],
    });
    expect(decideRun(run(['succeeded', 'refused', 'cancelled'], ['succeeded', 'cancelled'])).runState).toBe('refused');
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
    expect(decideAfterFailure({ state: 'pending', attempt: 1, hasExternalRef: false }, 'transient', policy, 0)).toEqual(
      { state: 'pending', delayMs: 500 },
    );
    expect(decideAfterFailure({ state: 'pending', attempt: 1, hasExternalRef: false }, 'ambiguous', policy, 0)).toEqual(
      { state: 'starting', delayMs: 500 },
    );
  });

  it('keeps recovering a step whose earlier work is unaccounted for when the lookup itself fails transiently', () => {
    expect(
      decideAfterFailure({ state: 'starting', attempt: 2, hasExternalRef: false }, 'transient', policy, 0),
    ).toEqual({ state: 'starting', delayMs: 1000 });
  });

  it('keeps checking the same backend job when checking it failed transiently', () => {
    expect(
      decideAfterFailure({ state: 'waiting', attempt: 1, hasExternalRef: true }, 'transient', policy, 0),
    ).toMatchObject({ state: 'waiting' });
  });

  it('fails at once on a permanent error, and after the last attempt on any error', () => {
    expect(
      decideAfterFailure({ state: 'starting', attempt: 1, hasExternalRef: false }, 'permanent', policy, 0),
    ).toEqual({ state: 'failed' });
    expect(
      decideAfterFailure({ state: 'starting', attempt: 4, hasExternalRef: false }, 'transient', policy, 0),
    ).toEqual({ state: 'failed', gaveUp: 'attempts' });
  });

  it('bounds retries by time: without an attempt cap, a step is retried until its deadline, not after', () => {
    const unbounded = { ...policy, maxAttempts: Infinity };
    const step = { state: 'pending' as const, attempt: 40, hasExternalRef: false };
    expect(decideAfterFailure(step, 'transient', unbounded, 0, undefined, { now: 0, at: 600_000 })).toEqual({
      state: 'pending',
      delayMs: 4000,
    });
    expect(decideAfterFailure(step, 'transient', unbounded, 0, undefined, { now: 597_000, at: 600_000 })).toEqual({
      state: 'failed',
      gaveUp: 'deadline',
    });
  });
});
