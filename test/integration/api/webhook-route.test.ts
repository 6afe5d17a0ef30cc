import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import event from '../../fixtures/incident-inserted.event.json';
import { signWebhook } from '../../../src/security/webhook-signature';
import { openTestStore, type TestStore } from '../../helpers/stores';
import { webhookHttpApp } from './api-harness';

const secret = 'webhook-route-secret';

/** ServiceNow's webhook is served ahead of Express: found as Express would route it, answered as before. */
describe('the webhook route on the HTTP surface', () => {
  let t: TestStore;
  let accepted: number;
  let app: ReturnType<typeof webhookHttpApp>;
  beforeEach(async () => {
    t = await openTestStore('sqlite');
    accepted = 0;
    app = webhookHttpApp({ inbox: t.repos.inbox, secret, bodyLimitBytes: 4096, onAccepted: () => accepted++ });
  });
  afterEach(() => t.close());

  const signed = (body: string | Buffer) => {
    const { timestamp, signature } = signWebhook(secret, Buffer.from(body));
    return { 'Content-Type': 'application/json', 'X-Snowline-Timestamp': timestamp, 'X-Snowline-Signature': signature };
  };

  it.each(['/webhooks/servicenow', '/webhooks/servicenow/', '/Webhooks/ServiceNow', '/webhooks/servicenow?from=br'])(
    'takes a delivery posted to %s',
    async (path) => {
      const body = JSON.stringify(event);
      const res = await request(app).post(path).set(signed(body)).send(body);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ accepted: true, duplicate: false });
      expect(accepted).toBe(1);
    },
  );

  it('leaves other methods on the path to the API: 404, nothing stored', async () => {
    const res = await request(app).get('/webhooks/servicenow');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('route.not_found');
    expect(accepted).toBe(0);
  });

  it('refuses a compressed body with 415 naming the encoding, and stores nothing', async () => {
    const body = gzipSync(JSON.stringify(event));
    const res = await request(app)
      .post('/webhooks/servicenow')
      .set({ ...signed(body), 'Content-Encoding': 'gzip' })
      .send(body);
    expect(res.status).toBe(415);
    expect(res.body.error).toMatchObject({ code: 'request.unsupported_encoding' });
    expect(res.body.error.message).toContain('gzip');
    expect(accepted).toBe(0);
  });

  it('refuses a body over the limit that declares no length (chunked) with 413, and stores nothing', async () => {
    const body = JSON.stringify({ ...event, record: { ...event.record, description: 'x'.repeat(8000) } });
    const server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const req = httpRequest({
        port: (server.address() as AddressInfo).port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/webhooks/servicenow',
        headers: signed(body), // no Content-Length: Node sends the body chunked
      });
      req.write(body.slice(0, 4000));
      req.end(body.slice(4000));
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      const answer = JSON.parse((await text(res)) || '{}') as { error?: { code: string } };
      expect([res.statusCode, answer.error?.code]).toEqual([413, 'request.too_large']);
      expect(accepted).toBe(0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

async function text(res: IncomingMessage): Promise<string> {
  let all = '';
  for await (const chunk of res) all += String(chunk);
  return all;
}
