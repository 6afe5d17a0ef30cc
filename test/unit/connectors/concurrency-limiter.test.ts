import { ConcurrencyLimiter } from '../../../connectors/concurrency-limiter';

/** A call that runs until its `finish` is called, recording when it started. */
function deferredCall(started: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<string>((resolve) => (finish = () => resolve(name)));
  return { run: () => (started.push(name), done), finish: () => finish() };
}

describe('ConcurrencyLimiter', () => {
  it('runs at most `max` calls at once and starts the waiting ones in order of arrival', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const started: string[] = [];
    const calls = ['a', 'b', 'c', 'd'].map((name) => deferredCall(started, name));
    const results = calls.map((c) => limiter.schedule(c.run));
    await new Promise(setImmediate);
    expect(started).toEqual(['a', 'b']);

    calls[1]!.finish();
    await new Promise(setImmediate);
    expect(started).toEqual(['a', 'b', 'c']);

    calls[0]!.finish();
    calls[2]!.finish();
    calls[3]!.finish();
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c', 'd']);
  });

  it('hands a freed slot to the call waiting longest, not to one arriving as it frees', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const started: string[] = [];
    const first = deferredCall(started, 'first');
    const waiting = deferredCall(started, 'waiting');
    const results = [limiter.schedule(first.run), limiter.schedule(waiting.run)];
    await new Promise(setImmediate);
    first.finish();
    // Queued in the same turn as the slot frees, before the waiting call has resumed.
    await Promise.resolve();
    const late = deferredCall(started, 'late');
    results.push(limiter.schedule(late.run));
    await new Promise(setImmediate);
    expect(started).toEqual(['first', 'waiting']);

    waiting.finish();
    late.finish();
    await expect(Promise.all(results)).resolves.toEqual(['first', 'waiting', 'late']);
  });

  it('frees the slot of a call that failed, and hands its error to its caller', async () => {
    const limiter = new ConcurrencyLimiter(1);
    await expect(limiter.schedule(() => Promise.reject(new Error('backend said no')))).rejects.toThrow(
      'backend said no',
    );
    await expect(limiter.schedule(() => Promise.resolve('next'))).resolves.toBe('next');
  });

  it('once disconnected, refuses new and waiting calls without running them, and lets the running one finish', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const started: string[] = [];
    const running = deferredCall(started, 'running');
    const first = limiter.schedule(running.run);
    const waiting = limiter.schedule(() => (started.push('waiting'), Promise.resolve('waiting')));
    await limiter.disconnect();
    running.finish();

    await expect(first).resolves.toBe('running');
    await expect(waiting).rejects.toThrow('the limiter is stopped');
    await expect(limiter.schedule(() => Promise.resolve('late'))).rejects.toThrow('the limiter is stopped');
    expect(started).toEqual(['running']);
  });
});
