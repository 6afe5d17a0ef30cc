import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSharedLimiters, type SharedLimiters } from '../../../connectors/rate-limiters';
import { ServiceNowClient } from '../../../connectors/servicenow/client';
import { silentLogger } from '../../../src/observability/logger';
import { startOwnRedis, type OwnRedis } from '../../helpers/redis-server';
import { eventually } from '../../helpers/waiting';
import { startStub, type Stub } from './stub-server';

/** Redis of the test environment (CI starts it), never mocked. */
const REDIS_URL = process.env.SNOWLINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('rate limits shared through Redis', () => {
  const fleets: SharedLimiters[] = [];
  const instance = () => {
    const limiters = createSharedLimiters({ redisUrl: REDIS_URL, logger: silentLogger() });
    fleets.push(limiters);
    return limiters;
  };
  afterEach(async () => {
    await Promise.all(fleets.splice(0).map((f) => f.close()));
  });

  it('gives two instances one hourly budget when they use the same limiter id', async () => {
    const id = `test:${randomUUID()}`;
    const a = instance().shared(id, { maxConcurrent: 2, requestsPerHour: 3 })!;
    const b = instance().shared(id, { maxConcurrent: 2, requestsPerHour: 3 })!;
    await a.schedule(async () => undefined);
    await a.schedule(async () => undefined);
    expect(await b.currentReservoir()).toBe(1);
    await b.schedule(async () => undefined);
    expect(await a.currentReservoir()).toBe(0);
  });

  it('keeps separate budgets for different ids, and none at all without Redis', async () => {
    const fleet = instance();
    await fleet
      .shared(`test:${randomUUID()}`, { maxConcurrent: 1, requestsPerHour: 1 })!
      .schedule(async () => undefined);
    expect(
      await fleet.shared(`test:${randomUUID()}`, { maxConcurrent: 1, requestsPerHour: 1 })!.currentReservoir(),
    ).toBe(1);
    expect(createSharedLimiters({ logger: silentLogger() }).shared('servicenow', { maxConcurrent: 1 })).toBeUndefined();
  });

  it('a restarted instance joins the fleet budget rather than resetting it', async () => {
    const id = `test:${randomUUID()}`;
    await instance()
      .shared(id, { maxConcurrent: 1, requestsPerHour: 5 })!
      .schedule(async () => undefined);
    const restarted = instance().shared(id, { maxConcurrent: 1, requestsPerHour: 5 })!;
    expect(await restarted.currentReservoir()).toBe(4);
  });

  describe('ServiceNow clients of two instances', () => {
    let stub: Stub;
    const clients: ServiceNowClient[] = [];
    beforeEach(async () => {
      stub = await startStub();
      stub.on('GET', /\/api\/now\/table\/incident\/.+/, { body: { result: { sys_id: 'a'.repeat(32) } } });
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await stub.close();
    });

    it('stay within requestsPerHour together: requests past the shared budget wait, nothing is sent', async () => {
      const id = `test:servicenow:${randomUUID()}`;
      const limit = { maxConcurrent: 4, requestsPerHour: 3 };
      const [one, two] = [instance(), instance()].map((fleet) => {
        const c = new ServiceNowClient(
          { url: stub.url, auth: { type: 'basic', username: 'u', password: 'p' }, ...limit },
          { limiter: fleet.shared(id, limit) },
        );
        clients.push(c);
        return c;
      });
      const sysId = 'a'.repeat(32);
      await one!.getRecord('incident', sysId);
      await two!.getRecord('incident', sysId);
      await one!.getRecord('incident', sysId);
      // The fleet has used its three requests this hour: a fourth, from either instance, waits.
      const fourth = two!.getRecord('incident', sysId).catch(() => undefined);
      await sleep(500);
      expect(stub.requests).toHaveLength(3);
      await Promise.all(fleets.splice(0).map((f) => f.close()));
      await fourth;
    });
  });

  describe("when Redis fails or restarts empty (a Redis of the test's own)", () => {
    let redis: OwnRedis;
    let fleet: SharedLimiters;
    const changes: boolean[] = [];
    beforeEach(async () => {
      redis = await startOwnRedis();
      changes.length = 0;
      fleet = createSharedLimiters({
        redisUrl: redis.url,
        logger: silentLogger(),
        onDegraded: (degraded) => changes.push(degraded),
        reconnectMs: 200,
        pingMs: 500,
      });
    });
    afterEach(async () => {
      await fleet.close();
      await redis.kill();
    });
    /** Settles `work` or says it is still waiting after `ms`. */
    const within = <T>(work: Promise<T>, ms: number) =>
      Promise.race([work, sleep(ms, undefined, { ref: false }).then(() => 'still waiting' as const)]);

    it('keeps serving requests through a local limit while Redis is down, says so, and goes fleet-wide again once it is back', async () => {
      const limiter = fleet.shared(`test:${randomUUID()}`, { maxConcurrent: 2, requestsPerHour: 100 })!;
      expect(await limiter.schedule(async () => 'before')).toBe('before');
      await redis.kill();
      expect(
        await within(
          limiter.schedule(async () => 'while down'),
          8_000,
        ),
      ).toBe('while down');
      expect(fleet.status()).toMatchObject({ shared: true, degraded: true });
      expect(changes).toEqual([true]);

      // Redis comes back empty: the budget is set up again in Redis, not failed for ever on its missing state.
      await redis.start();
      await eventually(async () => (fleet.status().degraded ? undefined : true), 10_000, 'limits are fleet-wide again');
      expect(changes).toEqual([true, false]);
      expect(
        await within(
          limiter.schedule(async () => 'after'),
          8_000,
        ),
      ).toBe('after');
      expect(await limiter.currentReservoir()).toBe(99);
    });

    it('moves a request waiting for the fleet limiter to the local one when Redis dies, and runs it once', async () => {
      const limiter = fleet.shared(`test:${randomUUID()}`, { maxConcurrent: 1 })!;
      let release: (() => void) | undefined;
      const holding = limiter.schedule(() => new Promise<void>((r) => (release = r)));
      await eventually(async () => (release ? true : undefined), 5_000, 'the first request runs');
      let runs = 0;
      const waiting = limiter.schedule(async () => ++runs);
      await sleep(300);
      expect(runs).toBe(0); // the fleet allows one at a time
      await redis.kill();
      // The first request still holds the fleet's only slot; the second is not left waiting for a wake-up
      // message from a Redis that is gone.
      expect(await within(waiting, 8_000)).toBe(1);
      release!();
      await holding;
      await sleep(300);
      expect(runs).toBe(1);
    });

    it('gives back the slots of an instance killed mid-request, so the fleet does not run out of them', async () => {
      const id = `test:${randomUUID()}`;
      // Another instance takes the fleet's only slot for a request that never ends, and is SIGKILLed.
      const holder = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          `const { createSharedLimiters } = require(${JSON.stringify(join(__dirname, '../../../connectors/rate-limiters'))});
           const { silentLogger } = require(${JSON.stringify(join(__dirname, '../../../src/observability/logger'))});
           createSharedLimiters({ redisUrl: ${JSON.stringify(redis.url)}, logger: silentLogger() })
             .shared(${JSON.stringify(id)}, { maxConcurrent: 1, requestTimeoutMs: 500 })
             .schedule(() => { console.log('holding'); return new Promise(() => undefined); });`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise((r) => holder.stdout!.once('data', r));
      holder.kill('SIGKILL');
      const limiter = fleet.shared(id, { maxConcurrent: 1, requestTimeoutMs: 500 })!;
      expect(
        await within(
          limiter.schedule(async () => 'ran'),
          15_000,
        ),
      ).toBe('ran');
      expect(fleet.status().degraded).toBe(false);
    });

    it('a ServiceNow insert made while Redis is down is sent once, not refused as ambiguous', async () => {
      const stub = await startStub();
      stub.on('POST', '/api/now/table/incident', { status: 201, body: { result: { sys_id: 'b'.repeat(32) } } });
      const client = new ServiceNowClient(
        { url: stub.url, auth: { type: 'basic', username: 'u', password: 'p' }, maxConcurrent: 2 },
        { limiter: fleet.shared(`test:servicenow:${randomUUID()}`, { maxConcurrent: 2 }) },
      );
      try {
        await redis.kill();
        expect(await within(client.insert('incident', { short_description: 'x' }), 10_000)).toMatchObject({
          sys_id: 'b'.repeat(32),
        });
        expect(stub.requests).toHaveLength(1);
      } finally {
        await client.close();
        await stub.close();
      }
    });
  });
});
