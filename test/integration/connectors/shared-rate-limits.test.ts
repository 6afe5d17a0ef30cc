import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSharedLimiters, type SharedLimiters } from '../../../connectors/rate-limiters';
import { ServiceNowClient } from '../../../connectors/servicenow/client';
import { silentLogger } from '../../../src/observability/logger';
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
});
