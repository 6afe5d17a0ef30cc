import { silentLogger } from '../../../src/observability/logger';
import { workLoop } from '../../../src/engine/work-loop';

/** A loop whose rounds find nothing to do, counted; `dueInMs` says when the next work falls due. */
function idleLoop(dueInMs: () => Promise<number | undefined>) {
  let rounds = 0;
  const loop = workLoop(
    'test',
    async () => {
      rounds += 1;
      return false;
    },
    1_000,
    silentLogger(),
    dueInMs,
  );
  return { loop, rounds: () => rounds };
}

describe('workLoop', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs again when the next work falls due, not a whole idle interval later', async () => {
    const { loop, rounds } = idleLoop(async () => 50);
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(rounds()).toBe(1);
    await jest.advanceTimersByTimeAsync(49);
    expect(rounds()).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(rounds()).toBe(2);
    await loop.stop();
  });

  it('waits the idle interval when nothing is due, or when the due time cannot be read', async () => {
    for (const dueInMs of [async () => undefined, async () => Promise.reject(new Error('store unavailable'))]) {
      const { loop, rounds } = idleLoop(dueInMs);
      loop.start();
      await jest.advanceTimersByTimeAsync(999);
      expect(rounds()).toBe(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(rounds()).toBe(2);
      await loop.stop();
    }
  });

  it('never waits longer than the idle interval, however far off the next work is', async () => {
    const { loop, rounds } = idleLoop(async () => 60_000);
    loop.start();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(rounds()).toBe(2);
    await loop.stop();
  });

  it('runs at once when woken while idle', async () => {
    const { loop, rounds } = idleLoop(async () => undefined);
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    loop.wake();
    await jest.advanceTimersByTimeAsync(0);
    expect(rounds()).toBe(2);
    await loop.stop();
  });
});
