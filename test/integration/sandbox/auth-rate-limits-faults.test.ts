import axios from 'axios';
import { ServiceNowClient } from '../../../connectors/servicenow';
import { startSandbox, type RunningSandbox } from './sandbox-harness';

/**
 * Sandbox authentication (https://www.servicenow.com/docs/r/platform-security/authentication/api-authentication.html), REST rate-limit rules (https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.html) and the
 * fault-injection admin endpoints, checked on the wire and with Snowline's own client.
 */
let s: RunningSandbox;
const clients: ServiceNowClient[] = [];
beforeEach(async () => {
  s = await startSandbox();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await s.sandbox.close();
});

function form(fields: Record<string, string>) {
  return s.snow.post('/oauth_token.do', new URLSearchParams(fields).toString(), {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    auth: undefined,
  });
}
const CLIENT = { client_id: 'snowline-sandbox', client_secret: 'sandbox' };
const plain = () =>
  axios.create({ baseURL: s.url, validateStatus: () => true, headers: { Accept: 'application/json' } });
const admin = () =>
  axios.create({ baseURL: s.url, validateStatus: () => true, auth: { username: 'admin', password: 'admin' } });
function client(extra: Partial<ConstructorParameters<typeof ServiceNowClient>[0]> = {}): ServiceNowClient {
  const c = new ServiceNowClient({
    url: s.url,
    auth: { type: 'basic', username: 'admin', password: 'admin' },
    retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50, maxWaitMs: 5000 },
    ...extra,
  });
  clients.push(c);
  return c;
}

describe('OAuth token endpoint (servicenow-behaviour §5.2)', () => {
  it('password grant: form-encoded request → token body of the documented shape; the bearer token opens the Table API', async () => {
    const res = await form({ ...CLIENT, grant_type: 'password', username: 'admin', password: 'admin' });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      scope: 'useraccount',
      token_type: 'Bearer',
      expires_in: 1799,
    });
    const list = await plain().get('/api/now/table/incident?sysparm_limit=1', {
      headers: { Authorization: `Bearer ${res.data.access_token}` },
    });
    expect(list.status).toBe(200);
    expect(list.headers['x-is-logged-in']).toBe('true');
  });

  it('asking again while the token is valid returns the same token; refresh_token mints a new one and keeps the refresh token', async () => {
    const first = (await form({ ...CLIENT, grant_type: 'password', username: 'admin', password: 'admin' })).data;
    const again = (await form({ ...CLIENT, grant_type: 'client_credentials' })).data;
    expect(again.access_token).toBe(first.access_token);
    const refreshed = await form({ ...CLIENT, grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.data.access_token).not.toBe(first.access_token);
    expect(refreshed.data.refresh_token).toBe(first.refresh_token);
  });

  it('refuses JSON bodies, wrong client secrets and wrong passwords with OAuth-style errors', async () => {
    const json = await s.snow.post(
      '/oauth_token.do',
      { ...CLIENT, grant_type: 'client_credentials' },
      { auth: undefined },
    );
    expect(json.status).toBe(400);
    expect(json.data.error).toBe('invalid_request');
    const badSecret = await form({ ...CLIENT, client_secret: 'nope', grant_type: 'client_credentials' });
    expect(badSecret.status).toBe(401);
    expect(badSecret.data).toEqual({ error: 'server_error', error_description: 'access_denied' });
    expect((await form({ ...CLIENT, grant_type: 'password', username: 'admin', password: 'wrong' })).status).toBe(401);
    expect((await form({ ...CLIENT, grant_type: 'refresh_token', refresh_token: 'made-up' })).status).toBe(401);
  });

  it('an unknown or revoked bearer token gets the 401 envelope of servicenow-behaviour §1.5', async () => {
    const token = (await form({ ...CLIENT, grant_type: 'client_credentials' })).data.access_token;
    expect((await admin().delete('/sandbox/oauth/tokens')).status).toBe(204);
    const res = await plain().get('/api/now/table/incident', { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(res.data).toEqual({
      error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
      status: 'failure',
    });
  });

  it('access tokens expire after their lifespan', async () => {
    await s.sandbox.close();
    s = await startSandbox({ oauth: { accessTokenSeconds: 1 } });
    const token = (await form({ ...CLIENT, grant_type: 'client_credentials' })).data;
    expect(token.expires_in).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect(
      (
        await plain().get('/api/now/table/incident?sysparm_limit=1', {
          headers: { Authorization: `Bearer ${token.access_token}` },
        })
      ).status,
    ).toBe(401);
  });

  it("Snowline's client with OAuth: gets a token, and after a revocation re-authenticates once and carries on", async () => {
    const sn = client({
      auth: {
        type: 'oauth',
        grant: 'password',
        clientId: 'snowline-sandbox',
        clientSecret: 'sandbox',
        username: 'admin',
        password: 'admin',
      },
    });
    const created = await sn.insert('incident', { short_description: 'oauth check' }, { fields: ['sys_id'] });
    await admin().delete('/sandbox/oauth/tokens');
    const read = await sn.getRecord('incident', String(created.sys_id), { fields: ['short_description'] });
    expect(read.short_description).toBe('oauth check');
  });
});

describe('API key (servicenow-behaviour §5.3)', () => {
  it('x-sn-apikey as header or query parameter authenticates; a wrong key is 401', async () => {
    expect(
      (await plain().get('/api/now/table/incident?sysparm_limit=1', { headers: { 'x-sn-apikey': 'sandbox-api-key' } }))
        .status,
    ).toBe(200);
    expect((await plain().get('/api/now/table/incident?sysparm_limit=1&x-sn-apikey=sandbox-api-key')).status).toBe(200);
    expect(
      (await plain().get('/api/now/table/incident?sysparm_limit=1', { headers: { 'x-sn-apikey': 'other' } })).status,
    ).toBe(401);
    const sn = client({ auth: { type: 'api_key', apiKey: 'sandbox-api-key' } });
    expect((await sn.query('sys_user', { limit: 1 })).rows.length).toBe(1);
  });
});

describe('REST rate-limit rules (servicenow-behaviour §5.4)', () => {
  it('matching requests carry X-RateLimit-*; past the limit: 429, Retry-After and the documented body; other resources are untouched', async () => {
    const put = await admin().put('/sandbox/rate-limits', {
      rules: [{ name: 'Table API', pathPrefix: '/api/now/table/incident', methods: ['GET'], limit: 2 }],
    });
    expect(put.status).toBe(200);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await s.snow.get('/api/now/table/incident?sysparm_limit=1'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[0]!.headers['x-ratelimit-limit']).toBe('2');
    expect(answers[0]!.headers['x-ratelimit-rule']).toMatch(/^[0-9a-f]{32}$/);
    const reset = Number(answers[2]!.headers['x-ratelimit-reset']);
    // A real instance counts per hour: the window resets at the top of the next hour.
    expect(reset % 3600).toBe(0);
    expect(reset * 1000).toBeGreaterThan(Date.now());
    expect(Number(answers[2]!.headers['retry-after'])).toBeGreaterThan(0);
    expect(answers[2]!.data).toEqual({
      error: { message: 'Rate limit exceeded', detail: 'Rate limit of 2 requests per hour for Table API exceeded' },
      status: 'failure',
    });
    const other = await s.snow.get('/api/now/table/problem?sysparm_limit=1');
    expect(other.status).toBe(200);
    expect(other.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('a rule for the user beats a rule for everyone, even with a higher limit', async () => {
    await admin().put('/sandbox/rate-limits', {
      rules: [
        { name: 'Table API', limit: 1 },
        { name: 'Table API (svc)', user: 'admin', limit: 3 },
      ],
    });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await s.snow.get('/api/now/table/incident?sysparm_limit=1')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it("Snowline's client waits for the reset of a short window instead of failing", async () => {
    await admin().put('/sandbox/rate-limits', { rules: [{ name: 'Table API', limit: 1, windowSeconds: 2 }] });
    const sn = client();
    const windowEnd = (Math.floor(Date.now() / 2000) + 1) * 2000;
    await sn.query('sys_user', { limit: 1 });
    const second = await sn.query('sys_user', { limit: 1 });
    // One request per window: the second can only have been served once the first window was over.
    expect(second.rows).toHaveLength(1);
    expect(Date.now()).toBeGreaterThanOrEqual(windowEnd);
    expect((await admin().get('/sandbox/rate-limits')).data.rules).toHaveLength(1);
  });

  it('refuses an invalid rule list naming the field', async () => {
    const res = await admin().put('/sandbox/rate-limits', { rules: [{ name: 'x', limit: 0 }] });
    expect(res.status).toBe(400);
    expect(res.data.problems[0]).toMatch(/^rules\.0\.limit: /);
  });
});

describe('fault injection (/sandbox/faults)', () => {
  it('needs the sandbox account, refuses unknown targets and invalid plans', async () => {
    expect((await plain().get('/sandbox/faults')).status).toBe(401);
    expect((await admin().put('/sandbox/faults/jira', {})).status).toBe(404);
    const bad = await admin().put('/sandbox/faults/servicenow', { errorRate: 2 });
    expect(bad.status).toBe(400);
    expect(bad.data.problems[0]).toMatch(/^errorRate: /);
  });

  it('a 429 burst with rate-limit headers, then normal service; the client rides it out', async () => {
    await admin().put('/sandbox/faults/servicenow', { rateLimitBurst: 2, retryAfterSeconds: 1 });
    const first = await s.snow.get('/api/now/table/incident?sysparm_limit=1');
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('1');
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    expect(first.data.error.message).toBe('Rate limit exceeded');
    const sn = client();
    expect((await sn.query('sys_user', { limit: 1 })).rows).toHaveLength(1);
    const state = (await admin().get('/sandbox/faults')).data;
    expect(state.servicenow.injected['429']).toBe(2);
    expect(state.servicenow.remaining.rateLimitBurst).toBe(0);
  });

  it('a 429 burst without headers (API queue full, servicenow-behaviour §5.5) becomes servicenow.queue_full when it outlasts the retries', async () => {
    await admin().put('/sandbox/faults/servicenow', { rateLimitBurst: 10, rateLimitHeaders: false });
    const res = await s.snow.get('/api/now/table/incident?sysparm_limit=1');
    expect(res.status).toBe(429);
    expect(res.headers['x-ratelimit-reset']).toBeUndefined();
    await expect(
      client({ retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, maxWaitMs: 100 } }).query('incident', {
        limit: 1,
      }),
    ).rejects.toMatchObject({ code: 'servicenow.queue_full' });
  });

  it('failNext answers the given status; a POST met by a 500 is ambiguous, never repeated', async () => {
    await admin().put('/sandbox/faults/servicenow', { failNext: 1, failStatus: 500 });
    await expect(client().insert('incident', { short_description: 'x' })).rejects.toMatchObject({
      code: 'servicenow.ambiguous',
    });
    expect((await admin().get('/sandbox/faults')).data.servicenow.injected).toEqual({ '500': 1 });
  });

  it('downForSeconds: every call fails until the time is up, then the backend is back', async () => {
    await admin().put('/sandbox/faults/awx', { downForSeconds: 0.5, errorStatus: 503 });
    const down = await s.awx.get('/api/v2/job_templates/');
    expect(down.status).toBe(503);
    expect(down.data).toEqual({ detail: 'A server error has occurred.' });
    // The instance is not affected by a fault of the controller.
    expect((await s.snow.get('/api/now/table/incident?sysparm_limit=1')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 600));
    expect((await s.awx.get('/api/v2/job_templates/')).status).toBe(200);
  });

  it('dropNext destroys the connection unanswered; hangNext leaves the client to time out; latency delays answers', async () => {
    await admin().put('/sandbox/faults/servicenow', { dropNext: 1 });
    await expect(s.snow.get('/api/now/table/incident?sysparm_limit=1')).rejects.toMatchObject({ code: 'ECONNRESET' });
    await admin().put('/sandbox/faults/servicenow', { hangNext: 1, hangMs: 400 });
    await expect(s.snow.get('/api/now/table/incident?sysparm_limit=1', { timeout: 200 })).rejects.toMatchObject({
      code: 'ECONNABORTED',
    });
    await admin().put('/sandbox/faults/servicenow', { latencyMs: 150 });
    const started = Date.now();
    expect((await s.snow.get('/api/now/table/incident?sysparm_limit=1')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect((await admin().delete('/sandbox/faults')).status).toBe(204);
    expect((await admin().get('/sandbox/faults')).data).toEqual({ servicenow: null, awx: null });
  });

  it('slowNext does the work but holds the answer: the client times out on a record that was created', async () => {
    await admin().put('/sandbox/faults/servicenow', { slowNext: 1, slowMs: 400 });
    await expect(
      s.snow.post('/api/now/table/incident', { short_description: 'answered late' }, { timeout: 200 }),
    ).rejects.toMatchObject({ code: 'ECONNABORTED' });
    const found = await s.snow.get('/api/now/table/incident', {
      params: { sysparm_query: 'short_description=answered late' },
    });
    expect(found.data.result).toHaveLength(1);
    expect((await admin().get('/sandbox/faults')).data.servicenow).toMatchObject({
      remaining: { slowNext: 0 },
      injected: { slow: 1 },
    });
  });

  it('a request held by latency is carried out even when its caller gave up (only the answer is lost), body and all', async () => {
    const { data } = await s.snow.post('/api/now/table/incident', { short_description: 'queued writes' });
    const sysId = data.result.sys_id as string;
    await admin().put('/sandbox/faults/servicenow', { latencyMs: 400, methods: ['PATCH', 'POST'] });
    await expect(
      s.snow.patch(`/api/now/table/incident/${sysId}`, { work_notes: 'written late' }, { timeout: 100 }),
    ).rejects.toMatchObject({ code: 'ECONNABORTED' });
    const upload = `/api/now/attachment/file?table_name=incident&table_sys_id=${sysId}&file_name=late.log`;
    await expect(
      s.snow.post(upload, 'job output', { headers: { 'Content-Type': 'text/plain' }, timeout: 100 }),
    ).rejects.toMatchObject({ code: 'ECONNABORTED' });
    // A caller that waits gets the answer as usual.
    const inTime = await s.snow.patch(`/api/now/table/incident/${sysId}`, { short_description: 'still queued' });
    expect(inTime.data.result.short_description).toBe('still queued');

    await new Promise((r) => setTimeout(r, 500));
    const notes = await s.snow.get('/api/now/table/sys_journal_field', {
      params: { sysparm_query: `element_id=${sysId}^element=work_notes` },
    });
    expect(notes.data.result.map((n: { value: string }) => n.value)).toEqual(['written late']);
    const files = await s.snow.get('/api/now/attachment', { params: { sysparm_query: `table_sys_id=${sysId}` } });
    expect(files.data.result.map((f: { size_bytes: string }) => f.size_bytes)).toEqual(['10']);
  });

  it('with realistic latency on, fault plans still apply: the held request meets its fault after the wait', async () => {
    await admin().put('/sandbox/latency', { table: { ms: 100, jitterMs: 0 } });
    await admin().put('/sandbox/faults/servicenow', { failNext: 1, failStatus: 503 });
    const started = Date.now();
    const failed = await admin().get('/api/now/table/incident?sysparm_limit=1');
    expect(failed.status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect((await admin().get('/api/now/table/incident?sysparm_limit=1')).status).toBe(200);
  });

  it('methods limits a plan to those methods: reads pass while the next POST fails', async () => {
    await admin().put('/sandbox/faults/awx', { failNext: 1, failStatus: 500, methods: ['POST'] });
    expect((await s.awx.get('/api/v2/job_templates/')).status).toBe(200);
    expect((await s.awx.post('/api/v2/job_templates/1/launch/', {})).status).toBe(500);
    expect((await admin().get('/sandbox/faults')).data.awx).toMatchObject({
      remaining: { failNext: 0 },
      injected: { '500': 1 },
    });
    expect((await admin().put('/sandbox/faults/awx', { methods: ['FETCH'] })).status).toBe(400);
  });

  it('pathIncludes limits a plan to matching paths: a label is created while the launch after it fails', async () => {
    await admin().put('/sandbox/faults/awx', {
      failNext: 1,
      failStatus: 503,
      methods: ['POST'],
      pathIncludes: '/launch/',
    });
    expect((await s.awx.post('/api/v2/labels/', { name: 'snowline:k1', organization: 1 })).status).toBe(201);
    expect((await s.awx.post('/api/v2/job_templates/7/launch/', {})).status).toBe(503);
    expect((await s.awx.post('/api/v2/job_templates/7/launch/', {})).status).toBe(201);
    expect((await admin().get('/sandbox/faults')).data.awx).toMatchObject({ injected: { '503': 1, pass: 1 } });
  });

  it('an error rate of 1 fails every call with errorStatus; faults can be set from the start', async () => {
    await s.sandbox.close();
    s = await startSandbox({ faults: { servicenow: { errorRate: 1, errorStatus: 502 } } });
    const res = await s.snow.get('/api/now/table/incident?sysparm_limit=1');
    expect(res.status).toBe(502);
    expect(res.data.status).toBe('failure');
  });
});
