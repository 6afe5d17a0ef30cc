import request from 'supertest';
import event from '../../fixtures/incident-inserted.event.json';
import { createRateLimits, type RateLimits } from '../../../src/api/rate-limits';
import { silentLogger } from '../../../src/observability/logger';
import { signWebhook } from '../../../src/security/webhook-signature';
import IORedis from 'ioredis';
import { startOwnRedis } from '../../helpers/redis-server';
import { openTestStore, type TestStore } from '../../helpers/stores';
import { tokenFor, webhookHttpApp } from './api-harness';

const secret = 'rate-limit-webhook-secret';

describe('rate limits on the webhook and on unauthenticated requests', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore('sqlite');
  });
  const opened: RateLimits[] = [];
  afterEach(async () => {
    for (const limits of opened.splice(0)) await limits.close();
    await t.close();
  });

  function track(limits: RateLimits): RateLimits {
    opened.push(limits);
    return limits;
  }

  function app(limits: { refused: number; webhook: number; redisUrl?: string }) {
    const rateLimits = createRateLimits(
      {
        perIdentityPerMinute: 1000,
        refusedPerAddressPerMinute: limits.refused,
        webhookPerAddressPerMinute: limits.webhook,
        redisUrl: limits.redisUrl,
      },
      silentLogger(),
    );
    return webhookHttpApp({ inbox: t.repos.inbox, secret, rateLimits: track(rateLimits) });
  }
  const post = (a: ReturnType<typeof app>, body: string, signature: string, timestamp: string) =>
    request(a)
      .post('/webhooks/servicenow')
      .set({ 'Content-Type': 'application/json', 'X-Snowline-Timestamp': timestamp, 'X-Snowline-Signature': signature })
      .send(body);

  it('answers 429 to an address after its forged deliveries, while good deliveries do not count', async () => {
    const a = app({ refused: 3, webhook: 0 });
    const body = JSON.stringify(event);
    // One base time: distinct timestamps even when the loop crosses a second (same ones would be replays).
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 5; i++) {
      const good = signWebhook(secret, body, now - i);
      expect((await post(a, body, good.signature, good.timestamp)).status).toBe(202);
    }
    const forged = signWebhook('not-the-secret', body);
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await post(a, body, forged.signature, forged.timestamp)).status);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    const refused = await post(a, body, forged.signature, forged.timestamp);
    expect(refused.body.error.code).toBe('request.rate_limited');
  });

  it('accepts a burst of good deliveries from one address, however many exceed the refusal limit at once', async () => {
    const a = app({ refused: 3, webhook: 0 });
    const now = Math.floor(Date.now() / 1000);
    const deliveries = Array.from({ length: 12 }, (_, i) => {
      const body = JSON.stringify({ ...event, sys_mod_count: String(i) });
      const signed = signWebhook(secret, body, now);
      return post(a, body, signed.signature, signed.timestamp);
    });
    expect((await Promise.all(deliveries)).map((r) => r.status)).toEqual(Array(12).fill(202));
  });

  it('answers 429 to an address after its requests without a valid token, before any work', async () => {
    const a = app({ refused: 2, webhook: 0 });
    const codes = [];
    for (let i = 0; i < 4; i++)
      codes.push((await request(a).get('/api/v1/runs').set('Authorization', 'Bearer forged.token.value')).status);
    expect(codes).toEqual([401, 401, 429, 429]);
    // The address is limited as a whole for the rest of the window, a valid token included.
    expect(
      (
        await request(a)
          .get('/api/v1/runs')
          .set('Authorization', `Bearer ${tokenFor('x', ['viewer'])}`)
      ).status,
    ).toBe(429);
  });

  it('limits all deliveries of one address when webhookPerAddressPerMinute is set', async () => {
    const a = app({ refused: 100, webhook: 2 });
    const body = JSON.stringify(event);
    const codes = [];
    for (let i = 0; i < 3; i++) {
      const signed = signWebhook(secret, body, Math.floor(Date.now() / 1000) - i);
      codes.push((await post(a, body, signed.signature, signed.timestamp)).status);
    }
    expect(codes).toEqual([202, 202, 429]);
  });

  it('keeps limiting in the instance while Redis is down, and counts fleet-wide again once it is back', async () => {
    const redis = await startOwnRedis();
    const body = JSON.stringify(event);
    const forged = signWebhook('not-the-secret', body);
    try {
      await redis.kill();
      const a = app({ refused: 2, webhook: 0, redisUrl: redis.url });
      const whileDown = [];
      for (let i = 0; i < 4; i++) whileDown.push((await post(a, body, forged.signature, forged.timestamp)).status);
      // Counted locally: the limit holds, and no request fails because the counter store is away.
      expect(whileDown).toEqual([401, 401, 429, 429]);

      await redis.start();
      const b = app({ refused: 2, webhook: 0, redisUrl: redis.url });
      const client = new IORedis(redis.url);
      try {
        // The failed start is retried: the refusals land in Redis again (within the store's retry interval).
        const deadline = Date.now() + 15_000;
        let keys: string[] = [];
        while (keys.length === 0 && Date.now() < deadline) {
          await post(b, body, forged.signature, forged.timestamp);
          keys = await client.keys('snowline:rl:webhook-refused:*');
          if (keys.length === 0) await new Promise((r) => setTimeout(r, 500));
        }
        expect(keys.length).toBeGreaterThan(0);
      } finally {
        client.disconnect();
      }
    } finally {
      await redis.kill();
    }
  });
});
