import express from 'express';
import request from 'supertest';
import event from '../../fixtures/incident-inserted.event.json';
import { errorHandler } from '../../../src/errors/http-error';
import { createIntake } from '../../../src/ingest/intake';
import { SERVICENOW_WEBHOOK_PATH, webhookReceiver } from '../../../src/ingest/webhook.receiver';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { signWebhook } from '../../../src/security/webhook-signature';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

const secret = 'test-webhook-secret';

describe.each(ENGINES)('POST /webhooks/servicenow on %s', (engine) => {
  let t: TestStore;
  let app: express.Express;
  let accepted = 0;

  beforeEach(async () => {
    t = await openTestStore(engine);
    const logger = silentLogger();
    const metrics = createMetrics();
    const intake = createIntake({ inbox: t.repos.inbox, metrics, onAccepted: () => accepted++ });
    app = express();
    app.post(
      SERVICENOW_WEBHOOK_PATH,
      webhookReceiver({ secret, replayWindowSeconds: 300, bodyLimitBytes: 1024 * 1024 }, intake, logger, metrics),
    );
    app.use(errorHandler(logger));
    accepted = 0;
  });
  afterEach(() => t.close());

  const post = (body: string | Buffer, headers: Record<string, string>) =>
    request(app).post('/webhooks/servicenow').set('Content-Type', 'application/json').set(headers).send(body);
  const signed = (body: string) => {
    const { timestamp, signature } = signWebhook(secret, body);
    return post(body, { 'X-Snowline-Timestamp': timestamp, 'X-Snowline-Signature': signature });
  };
  const inboxSize = async () => (await t.repos.inbox.pending(1000)).length;

  it('answers 202 once the event is committed to the inbox', async () => {
    const res = await signed(JSON.stringify(event));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: true, duplicate: false, key: 'incident:9d385017c611228701d22104cc95c371:0' });
    const [stored] = await t.repos.inbox.pending(10);
    expect(stored).toMatchObject({ number: 'INC0010001', kind: 'inserted', source: 'webhook', mod_count: 0 });
    expect(JSON.parse(stored!.payload).record.short_description).toBe('nginx is down on web-01');
    expect(accepted).toBe(1);
  });

  it('accepts and drops a second delivery of the same record version', async () => {
    await signed(JSON.stringify(event));
    const res = await signed(JSON.stringify({ ...event, changed_fields: [] }));
    expect(res.status).toBe(202);
    expect(res.body.duplicate).toBe(true);
    expect(await inboxSize()).toBe(1);
    expect(accepted).toBe(1);
  });

  it('refuses a bad signature with 401 and stores nothing', async () => {
    const body = JSON.stringify(event);
    const { timestamp } = signWebhook(secret, body);
    const res = await post(body, {
      'X-Snowline-Timestamp': timestamp,
      'X-Snowline-Signature': `sha256=${'0'.repeat(64)}`,
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('webhook.bad_signature');
    expect(await inboxSize()).toBe(0);
  });

  it('refuses an unsigned delivery and a stale one', async () => {
    expect((await post(JSON.stringify(event), {})).status).toBe(401);
    const body = JSON.stringify(event);
    const stale = signWebhook(secret, body, Math.floor(Date.now() / 1000) - 600);
    const res = await post(body, { 'X-Snowline-Timestamp': stale.timestamp, 'X-Snowline-Signature': stale.signature });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain('outside window');
    expect(await inboxSize()).toBe(0);
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await signed('{"table": "incident",');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('not a JSON object');
    expect(await inboxSize()).toBe(0);
  });

  it('names the field that is wrong', async () => {
    const res = await signed(JSON.stringify({ ...event, sys_id: 'not-a-sys-id', table: 'sys_user' }));
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['sys_id', 'table']));
    expect(res.body.error.message).toMatch(/sys_id: must be 32 lowercase hex characters/);
    expect(await inboxSize()).toBe(0);
  });

  it('names the record fields that are wrong', async () => {
    const record = { ...event.record, priority: 3, 'Bad-Name': 'x', description: 'x'.repeat(65537) };
    const res = await signed(JSON.stringify({ ...event, record }));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { path: 'record.priority', message: 'expected string, received number' },
      { path: 'record.Bad-Name', message: 'field names are ServiceNow column names' },
      { path: 'record.description', message: 'Too big: expected string to have <=65536 characters' },
    ]);
    expect(await inboxSize()).toBe(0);
  });

  it('refuses unknown envelope fields and hostile record keys', async () => {
    const res = await signed(
      JSON.stringify({ ...event, __proto__x: 1, record: { ...event.record, 'constructor.prototype': 'x' } }),
    );
    expect(res.status).toBe(400);
    expect(await inboxSize()).toBe(0);
  });

  it('refuses a body over 1 MiB with 413 before checking anything', async () => {
    const huge = JSON.stringify({ ...event, record: { ...event.record, description: 'x'.repeat(1024 * 1024) } });
    const res = await signed(huge);
    expect(res.status).toBe(413);
    expect(await inboxSize()).toBe(0);
  });
});
