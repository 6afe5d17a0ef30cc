import { silentLogger } from '../../../src/observability/logger';
import { workLoop, type WorkLoop } from '../../../src/engine/work-loop';

/** A loop whose rounds find nothing to do, counted, looking again every second when idle; `inRound` runs in each round. */
function idleLoop(inRound: (round: number, loop: WorkLoop) => void = () => undefined) {
  let rounds = 0;
  const loop = workLoop(
    'test',
    async () => {
      rounds += 1;
      inRound(rounds, loop);
      return false;
    },
    1_000,
    silentLogger(),
  );
  return { loop, rounds: () => rounds };
}

describe('workLoop', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs when work it was told of falls due, not a whole idle interval later', async () => {
    const { loop, rounds } = idleLoop();
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    loop.wakeIn(50);
    await jest.advanceTimersByTimeAsync(49);
    expect(rounds()).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(rounds()).toBe(2);
    await jest.advanceTimersByTimeAsync(999);
    expect(rounds()).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(rounds()).toBe(3);
    await loop.stop();
  });

  it('keeps a due time it hears of during a round for after that round', async () => {
    // As a step saved waiting inside the first round.
    const { loop, rounds } = idleLoop((round, self) => round === 1 && self.wakeIn(30));
    loop.start();
    await jest.advanceTimersByTimeAsync(29);
    expect(rounds()).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(rounds()).toBe(2);
    await loop.stop();
  });

  it('never waits past the idle interval, nor past an earlier round already due', async () => {
    const { loop, rounds } = idleLoop();
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    loop.wakeIn(60_000);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(rounds()).toBe(2);
    loop.wakeIn(20);
    loop.wakeIn(500); // later than the round already asked for: changes nothing
    await jest.advanceTimersByTimeAsync(20);
    expect(rounds()).toBe(3);
    await loop.stop();
  });

  it('runs at once when woken while idle', async () => {
    const { loop, rounds } = idleLoop();
    loop.start();
    await jest.advanceTimersByTimeAsync(0);
    loop.wake();
    await jest.advanceTimersByTimeAsync(0);
    expect(rounds()).toBe(2);
    await loop.stop();
  });
});
