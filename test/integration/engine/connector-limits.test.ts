import { randomUUID } from 'node:crypto';
import { createSharedLimiters, type SharedLimiters } from '../../../connectors/rate-limiters';
import { silentLogger } from '../../../src/observability/logger';
import { openStore, repositories } from '../../../src/store';
import { capturingLogger } from '../../helpers/capturing-logger';
import { countingBackend, limitedIncident, startLimitedEngine } from '../../helpers/limited-engine';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { eventually } from '../../helpers/waiting';

/** Redis of the test environment (CI starts it), never mocked. */
const REDIS_URL = process.env.SNOWLINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe.each(ENGINES)('connector limits in the engine on %s', (engine) => {
  let t: TestStore;
  const cleanups: Array<() => Promise<unknown>> = [];
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await t.close();
  });

  /** One fleet: its own key prefix in Redis, so no test meets another's limiter state. */
  const fleetLimiters = (prefix: string): SharedLimiters => {
    const limiters = createSharedLimiters({ redisUrl: REDIS_URL, logger: silentLogger(), keyPrefix: prefix });
    cleanups.push(() => limiters.close());
    return limiters;
  };

  const runsOf = async (rule: string) => t.repos.runs.list({ rule, limit: 1000 });

  it('holds a connector limited to 2 at once to 2 requests across two instances, while another connector’s runs complete', async () => {
    const backend = await countingBackend(20);
    cleanups.push(backend.close);
    // The backend answers nothing until every quick run is done: they cannot have waited for it.
    backend.hold();
    const prefix = `test-${randomUUID()}`;
    // The config's 2 beats the http connector's declared 8.
    const http = { endpoints: { backend: { baseUrl: backend.url } }, maxConcurrent: 2 };
    const second = await openStore(t.options);
    cleanups.push(() => second.close());
    // Three workers each: without per-connector slots, http steps waiting on the limiter would fill them.
    const instances = [
      startLimitedEngine({
        store: t.store,
        repos: t.repos,
        owner: 'a',
        http,
        limiters: fleetLimiters(prefix),
        concurrency: 3,
      }),
      startLimitedEngine({
        store: second,
        repos: repositories(second),
        owner: 'b',
        http,
        limiters: fleetLimiters(prefix),
        concurrency: 3,
      }),
    ];
    // One after the other: both share this process's one thread and one SQLite file, so a stop
    // sealing the journal would block on the other's open transaction until busy_timeout ran out.
    cleanups.push(async () => {
      for (const instance of instances) await instance.stop();
    });

    for (let n = 0; n < 10; n++) await instances[n % 2]!.intake.accept(limitedIncident(n, 'api'), 'webhook');
    for (let n = 0; n < 20; n++) await instances[n % 2]!.intake.accept(limitedIncident(100 + n, 'quick'), 'webhook');

    const quickDone = await eventually(
      async () => {
        const runs = await runsOf('quick-fix');
        return runs.length === 20 && runs.every((r) => r.state === 'succeeded') ? runs : undefined;
      },
      30_000,
      'the quick runs succeeded',
    );
    expect(backend.seen).toMatchObject({ inFlight: 2, maxInFlight: 2 });
    expect(quickDone).toHaveLength(20);
    // The http steps waiting for a slot stay unclaimed: each instance holds no more than its 2.
    const claimed = (await runsOf('call-api')).flatMap((r) => r.steps).filter((s) => s.lease_owner !== null);
    expect(claimed.filter((s) => s.lease_owner === 'a').length).toBeLessThanOrEqual(2);
    expect(claimed.filter((s) => s.lease_owner === 'b').length).toBeLessThanOrEqual(2);
    backend.release();
    await eventually(
      async () => {
        const runs = await runsOf('call-api');
        return runs.length === 10 && runs.every((r) => r.state === 'succeeded') ? runs : undefined;
      },
      30_000,
      'the api runs succeeded',
    );
    expect(backend.seen).toMatchObject({ requests: 10, maxInFlight: 2 });
  }, 60_000);

  it('holds steps past an hourly limit waiting, unclaimed, with the reason and the next slot', async () => {
    const backend = await countingBackend(0);
    cleanups.push(backend.close);
    // The config's 2 per hour, where the http connector declares no hourly limit.
    const http = { endpoints: { backend: { baseUrl: backend.url } }, requestsPerHour: 2 };
    const { logger, lines } = capturingLogger();
    const instance = startLimitedEngine({
      store: t.store,
      repos: t.repos,
      owner: 'a',
      logger,
      http,
      limiters: fleetLimiters(`test-${randomUUID()}`),
      concurrency: 4,
    });
    cleanups.push(instance.stop);
    const startedAt = Date.now();
    for (let n = 0; n < 4; n++) await instance.intake.accept(limitedIncident(n, 'api'), 'webhook');

    const waiting = await eventually(
      async () => {
        const runs = await runsOf('call-api');
        const held = runs.flatMap((r) => r.steps).filter((s) => s.waiting_for !== null);
        return runs.filter((r) => r.state === 'succeeded').length === 2 && held.length === 2 ? held : undefined;
      },
      20_000,
      'two runs succeeded and two wait for the hourly budget',
    );

    expect(backend.seen.requests).toBe(2);
    for (const step of waiting) {
      expect(step.waiting_for).toMatch(
        /^connector http: hourly limit of 2 reached for 127\.0\.0\.1:\d+, next slot at \d{4}-\d\d-\d\dT/,
      );
      const nextSlot = Date.parse(step.waiting_for!.split('next slot at ')[1]!);
      expect(nextSlot).toBeGreaterThan(startedAt + 59 * 60_000);
      expect(nextSlot).toBeLessThanOrEqual(Date.now() + 60 * 60_000);
      // Waiting, not failing: no attempt spent, not claimed, due when the budget refills.
      expect(step).toMatchObject({ state: 'pending', attempt: 0, started_at: null, lease_owner: null });
      expect(step.next_at).toBe(nextSlot);
    }
    // Each wait is told once, as a run event carrying its run's correlation id.
    const runs = await runsOf('call-api');
    const told = lines.filter((line) => line.event === 'step.waiting_for_budget');
    expect(told.map((line) => line.runId).sort()).toEqual(waiting.map((s) => s.run_id).sort());
    for (const line of told) expect(line.correlationId).toBe(runs.find((r) => r.id === line.runId)?.correlation_id);
  }, 40_000);
});
