import request from 'supertest';
import event from '../../fixtures/incident-inserted.event.json';
import { createHttpApp } from '../../../src/api/http-app';
import { createRateLimits } from '../../../src/api/rate-limits';
import { createIntake } from '../../../src/ingest/intake';
import { webhookRouter } from '../../../src/ingest/webhook.router';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { createTokenVerifier } from '../../../src/security/jwt';
import { signWebhook } from '../../../src/security/webhook-signature';
import { openTestStore, type TestStore } from '../../helpers/stores';
import { jwtOptions, tokenFor } from './api-harness';

const secret = 'rate-limit-webhook-secret';

describe('rate limits on the webhook and on unauthenticated requests', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore('sqlite');
  });
  afterEach(() => t.close());

  function app(limits: { refused: number; webhook: number }) {
    const logger = silentLogger();
    const metrics = createMetrics();
    const intake = createIntake({ inbox: t.repos.inbox, metrics, onAccepted: () => undefined });
    return createHttpApp({
      logger,
      metrics,
      verifier: createTokenVerifier(jwtOptions),
      bodyLimitBytes: 1 << 20,
      version: 'test',
      corsOrigins: [],
      rateLimitPerMinute: 1000,
      rateLimits: createRateLimits(
        {
          perIdentityPerMinute: 1000,
          refusedPerAddressPerMinute: limits.refused,
          webhookPerAddressPerMinute: limits.webhook,
        },
        logger,
      ),
      webhooks: webhookRouter({ secret, replayWindowSeconds: 300, bodyLimitBytes: 1 << 20 }, intake, logger, metrics),
      readiness: async () => ({ ready: true, checks: {} }),
      routes: [],
    });
  }
  const post = (a: ReturnType<typeof app>, body: string, signature: string, timestamp: string) =>
    request(a)
      .post('/webhooks/servicenow')
      .set({ 'Content-Type': 'application/json', 'X-Snowline-Timestamp': timestamp, 'X-Snowline-Signature': signature })
      .send(body);

  it('answers 429 to an address after its forged deliveries, while good deliveries do not count', async () => {
    const a = app({ refused: 3, webhook: 0 });
    const body = JSON.stringify(event);
    for (let i = 0; i < 5; i++) {
      const good = signWebhook(secret, body, Math.floor(Date.now() / 1000) - i);
      expect((await post(a, body, good.signature, good.timestamp)).status).toBe(202);
    }
    const forged = signWebhook('not-the-secret', body);
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await post(a, body, forged.signature, forged.timestamp)).status);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    const refused = await post(a, body, forged.signature, forged.timestamp);
    expect(refused.body.error.code).toBe('request.rate_limited');
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
});
