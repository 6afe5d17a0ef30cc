import express from 'express';
import request from 'supertest';
import event from '../../fixtures/incident-inserted.event.json';
import { errorHandler } from '../../../src/errors/http-error';
import { createIntake } from '../../../src/ingest/intake';
import { SERVICENOW_WEBHOOK_PATH, webhookReceiver, type WebhookOptions } from '../../../src/ingest/webhook.receiver';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { signWebhook } from '../../../src/security/webhook-signature';
import { openTestStore, type TestStore } from '../../helpers/stores';

const secret = 'test-webhook-secret';

describe('webhook hardening', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore('sqlite');
  });
  afterEach(() => t.close());

  function appWith(extra: Partial<WebhookOptions>) {
    const logger = silentLogger();
    const metrics = createMetrics();
    const intake = createIntake({ inbox: t.repos.inbox, metrics, onAccepted: () => undefined });
    const app = express();
    app.post(
      SERVICENOW_WEBHOOK_PATH,
      webhookReceiver(
        { secret, replayWindowSeconds: 300, bodyLimitBytes: 1024 * 1024, ...extra },
        intake,
        logger,
        metrics,
      ),
    );
    app.use(errorHandler(logger));
    return app;
  }
  const deliver = (app: express.Express, body: string, headers: { timestamp: string; signature: string }) =>
    request(app)
      .post('/webhooks/servicenow')
      .set('Content-Type', 'application/json')
      .set({ 'X-Snowline-Timestamp': headers.timestamp, 'X-Snowline-Signature': headers.signature })
      .send(body);

  it('refuses a captured delivery replayed inside the window with 409', async () => {
    const app = appWith({});
    const body = JSON.stringify(event);
    const headers = signWebhook(secret, body);
    expect((await deliver(app, body, headers)).status).toBe(202);
    const replay = await deliver(app, body, headers);
    expect(replay.status).toBe(409);
    expect(replay.body.error.code).toBe('webhook.replayed');
    // A fresh signature over the same body is a new delivery (the inbox dedups it as a duplicate).
    const again = await deliver(app, body, signWebhook(secret, body, Math.floor(Date.now() / 1000) + 1));
    expect(again.status).toBe(202);
    expect(again.body.duplicate).toBe(true);
  });

  it('refuses the same signature re-spelled (upper-case hex, Base64) as a replay', async () => {
    const app = appWith({});
    const body = JSON.stringify(event);
    const headers = signWebhook(secret, body);
    expect((await deliver(app, body, headers)).status).toBe(202);
    const digest = headers.signature.slice('sha256='.length);
    const upper = await deliver(app, body, { ...headers, signature: `sha256=${digest.toUpperCase()}` });
    expect(upper.status).toBe(409);
    const base64 = `sha256=${Buffer.from(digest, 'hex').toString('base64')}`;
    expect((await deliver(app, body, { ...headers, signature: base64 })).status).toBe(409);
    expect(await t.repos.inbox.pending(10)).toHaveLength(1);
  });

  it.each([2_147_483_648, 1e30, '99999999999', '2147483648', -1])(
    'refuses sys_mod_count %j with 400 naming the field, storing nothing',
    async (count) => {
      const body = JSON.stringify({ ...event, sys_mod_count: count });
      const res = await deliver(appWith({}), body, signWebhook(secret, body));
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'sys_mod_count' })]);
      expect(await t.repos.inbox.pending(10)).toHaveLength(0);
    },
  );

  it('does not remember a delivery it refused, so the sender may retry it once fixed', async () => {
    const app = appWith({});
    const malformed = '{"table":"incident"}';
    const headers = signWebhook(secret, malformed);
    expect((await deliver(app, malformed, headers)).status).toBe(400);
    expect((await deliver(app, malformed, headers)).status).toBe(400);
  });

  it('refuses a source address outside the allow-list with 403 before looking at the body', async () => {
    const body = JSON.stringify(event);
    const refused = await deliver(appWith({ allowedIps: ['10.1.2.3'] }), body, signWebhook(secret, body));
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('webhook.source_not_allowed');
    expect(await t.repos.inbox.pending(10)).toHaveLength(0);
    const allowed = await deliver(appWith({ allowedIps: ['127.0.0.1', '::1'] }), body, signWebhook(secret, body));
    expect(allowed.status).toBe(202);
  });
});
