import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import request from 'supertest';
import { createLiveChanges } from '../../../src/api/live-changes';
import { API_BASE } from '../../../src/api/http-app';
import { silentLogger } from '../../../src/observability/logger';
import { apiHarness, jwtOptions, tokenFor } from './api-harness';

/** What the console's live view, budget chart and rule history read from the API. */
describe('live stream, ServiceNow budget and rule versions over HTTP', () => {
  let h: Awaited<ReturnType<typeof apiHarness>>;
  let server: Server;
  let base: string;
  const viewer = `Bearer ${tokenFor('vera', ['viewer'])}`;

  beforeAll(async () => {
    // The feed reads the harness's own store: `h` is set before anyone subscribes.
    const changes = createLiveChanges({
      snapshot: () => h.store.repos.activity.snapshot(),
      everyMs: 50,
      logger: silentLogger(),
    });
    h = await apiHarness({ live: { changes, jwtSecret: jwtOptions.secret, maxStreams: 1 } });
    server = createServer(h.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await h.close();
  });

  const ticket = async () => {
    const res = await request(h.app).post(`${API_BASE}/live/tickets`).set('Authorization', viewer);
    expect(res.status).toBe(200);
    return res.body.ticket as string;
  };

  it('opens a stream only with a ticket, which is no API token', async () => {
    expect((await request(h.app).post(`${API_BASE}/live/tickets`)).status).toBe(401);
    expect((await request(h.app).get(`${API_BASE}/live?ticket=forged`)).status).toBe(401);
    // An API token is not a ticket, and a ticket is not an API token.
    expect((await request(h.app).get(`${API_BASE}/live?ticket=${tokenFor('vera', ['viewer'])}`)).status).toBe(401);
    expect(
      (
        await request(h.app)
          .get(`${API_BASE}/runs`)
          .set('Authorization', `Bearer ${await ticket()}`)
      ).status,
    ).toBe(401);
  });

  it('tells an open stream which run changed, and refuses streams beyond the limit', async () => {
    const abort = new AbortController();
    const res = await fetch(`${base}${API_BASE}/live?ticket=${await ticket()}`, { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect((await fetch(`${base}${API_BASE}/live?ticket=${await ticket()}`)).status).toBe(503);

    const reader = res.body!.getReader();
    let received = '';
    const read = async (until: RegExp) => {
      while (!until.test(received)) received += new TextDecoder().decode((await reader.read()).value);
    };
    await read(/retry: \d+/);
    // Give the feed its first look before the run appears.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await h.store.store.db.transaction().execute((trx) =>
      h.store.repos.runs.create(
        trx,
        {
          id: 'run-live',
          rule_id: 'restart-service-when-down',
          rule_version: 'v1',
          table_name: 'incident',
          sys_id: 'c'.repeat(32),
          ticket_number: 'INC0010077',
          event_key: 'incident:c:0',
          state: 'running',
          context: '{}',
          correlation_id: 'c',
          created_at: 1,
          updated_at: 1,
          finished_at: null,
          concurrency_key: null,
        },
        [],
      ),
    );
    await read(/event: change\ndata: .*"counts":true/);
    expect(received).toMatch(/data: \{"runs":\[[^\]]*\],"counts":true\}/);
    abort.abort();
  });

  it('serves the ServiceNow budget and a rule with its versions', async () => {
    const budget = await request(h.app).get(`${API_BASE}/servicenow/budget?hours=2`).set('Authorization', viewer);
    expect(budget.body).toMatchObject({ limitPerHour: 3000, remaining: 2990, perHour: [{ calls: 0 }, { calls: 0 }] });
    const versions = await request(h.app)
      .get(`${API_BASE}/rules/restart-service-when-down/versions`)
      .set('Authorization', viewer);
    expect(versions.status).toBe(200);
    expect(versions.body.revisions).toEqual([
      expect.objectContaining({
        current: true,
        loadedBy: 'test@host',
        text: expect.stringMatching(/^id: restart-service-when-down/),
      }),
    ]);
    expect(
      (await request(h.app).get(`${API_BASE}/rules/no-such-rule/versions`).set('Authorization', viewer)).status,
    ).toBe(404);
  });
});
