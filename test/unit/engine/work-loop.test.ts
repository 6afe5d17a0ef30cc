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

  it('rests as long as asked after a busy round, however often it is woken meanwhile', async () => {
    let rounds = 0;
    let busyRounds = 2;
    const tookMs: number[] = [];
    const loop = workLoop(
      'test',
      async () => {
        rounds += 1;
        await new Promise((r) => setTimeout(r, 10)); // the round's own work
        return busyRounds-- > 0;
      },
      1_000,
      silentLogger(),
      (roundMs) => (tookMs.push(roundMs), roundMs * 4),
    );
    loop.start();
    await jest.advanceTimersByTimeAsync(10);
    expect(rounds).toBe(1);
    expect(tookMs).toEqual([10]);
    loop.wake();
    loop.wakeIn(5);
    await jest.advanceTimersByTimeAsync(39);
    expect(rounds).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(rounds).toBe(2);
    // A round that found nothing to do asks for no rest: a wake runs the next one at once.
    await jest.advanceTimersByTimeAsync(10 + 40 + 10);
    expect(rounds).toBe(3);
    loop.wake();
    await jest.advanceTimersByTimeAsync(0);
    expect(rounds).toBe(4);
    const stopped = loop.stop();
    await jest.advanceTimersByTimeAsync(10); // the round under way finishes
    await stopped;
  });
});
