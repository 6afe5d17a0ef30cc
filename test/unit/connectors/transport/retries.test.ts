import { ConnectorError, type FailureClass } from '../../../../src/errors';
import { backoffMs, failedAttempt, withRetries, type Attempt } from '../../../../connectors/transport';

const SETTINGS = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxWaitMs: 5000 };

function failure(failure: FailureClass, options: { retryAfterMs?: number; notSent?: boolean } = {}): ConnectorError {
  return new ConnectorError('test', failure, failure === 'transient' ? 'unavailable' : failure, 'failed', {
    retryAfterMs: options.retryAfterMs,
    details: options.notSent ? { notSent: true } : {},
  });
}

/** Runs withRetries over the given outcomes in turn, recording every wait. */
async function run(outcomes: Attempt<string>[], settings = SETTINGS) {
  const waits: number[] = [];
  let calls = 0;
  const result = withRetries(async () => outcomes[Math.min(calls++, outcomes.length - 1)]!, settings, {
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
  });
  return { result, waits, calls: () => calls };
}

describe('withRetries', () => {
  it('repeats a transient failure of an idempotent request until it succeeds, backing off exponentially', async () => {
    const err = failedAttempt(failure('transient'), true);
    const r = await run([err, err, { ok: true, value: 'done' }]);
    await expect(r.result).resolves.toBe('done');
    // Jitter between half and all of each step: 100, then 200, at random = 0.5.
    expect(r.waits).toEqual([75, 150]);
  });

  it('waits what the backend asked for (Retry-After) instead of the backoff', async () => {
    const r = await run([failedAttempt(failure('transient', { retryAfterMs: 2500 }), true), { ok: true, value: 'x' }]);
    await r.result;
    expect(r.waits).toEqual([2500]);
  });

  it('hands on at once a wait longer than maxWaitMs (the engine schedules it instead)', async () => {
    const r = await run([failedAttempt(failure('transient', { retryAfterMs: 60_000 }), true)]);
    await expect(r.result).rejects.toMatchObject({ retryAfterMs: 60_000 });
    expect(r.calls()).toBe(1);
  });

  it('repeats a non-idempotent request only when nothing of it was sent', async () => {
    const notSent = await run([
      failedAttempt(failure('transient', { notSent: true }), false),
      { ok: true, value: 'x' },
    ]);
    await expect(notSent.result).resolves.toBe('x');
    const mayHaveRun = await run([failedAttempt(failure('transient'), false), { ok: true, value: 'x' }]);
    await expect(mayHaveRun.result).rejects.toBeInstanceOf(ConnectorError);
    expect(mayHaveRun.calls()).toBe(1);
  });

  it('never repeats a permanent or ambiguous failure', async () => {
    for (const kind of ['permanent', 'ambiguous'] as const) {
      const r = await run([failedAttempt(failure(kind), true), { ok: true, value: 'x' }]);
      await expect(r.result).rejects.toMatchObject({ failure: kind });
      expect(r.calls()).toBe(1);
    }
  });

  it('gives up after maxAttempts with the last failure', async () => {
    const r = await run([failedAttempt(failure('transient'), true)]);
    await expect(r.result).rejects.toMatchObject({ code: 'test.unavailable' });
    expect(r.calls()).toBe(4);
    expect(r.waits).toHaveLength(3);
  });

  it('stops when aborted, during the wait or before it', async () => {
    const controller = new AbortController();
    const error = failure('transient');
    const aborting = withRetries(async () => failedAttempt(error, true), SETTINGS, {
      signal: controller.signal,
      sleep: async () => {
        controller.abort();
        throw new Error('aborted');
      },
    });
    await expect(aborting).rejects.toBe(error);
    await expect(
      withRetries(async () => failedAttempt(error, true), SETTINGS, { signal: controller.signal }),
    ).rejects.toBe(error);
  });
});

describe('backoffMs', () => {
  it('doubles per attempt between half and all of the step, capped at maxDelayMs', () => {
    expect(backoffMs(1, SETTINGS, () => 0)).toBe(50);
    expect(backoffMs(1, SETTINGS, () => 1)).toBe(100);
    expect(backoffMs(3, SETTINGS, () => 1)).toBe(400);
    expect(backoffMs(10, SETTINGS, () => 1)).toBe(1000);
  });
});
