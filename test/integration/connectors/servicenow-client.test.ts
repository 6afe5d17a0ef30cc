import Bottleneck from 'bottleneck';
import { ConnectorError } from '../../../src/errors';
import { ServiceNowClient } from '../../../connectors/servicenow/client';
import type { ServiceNowConfigInput } from '../../../connectors/servicenow/schemas';
import { asDateTime, asInt } from '../../../connectors/servicenow/schemas';
import { fixture, startStub, type Stub } from './stub-server';

const SYS_ID = '9d385017c611228701d22104cc95c371';
const BASIC = `Basic ${Buffer.from('snowline.integration:s3cret!', 'utf8').toString('base64')}`;

let stub: Stub;
const clients: ServiceNowClient[] = [];
/** Waits recorded instead of slept, so retry tests take no time and assert the exact delays. */
let waits: number[];

beforeEach(async () => {
  stub = await startStub();
  waits = [];
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await stub.close();
});

function client(
  config: Partial<ServiceNowConfigInput> = {},
  deps: ConstructorParameters<typeof ServiceNowClient>[1] = {},
): ServiceNowClient {
  const c = new ServiceNowClient(
    { url: stub.url, auth: { type: 'basic', username: 'snowline.integration', password: 's3cret!' }, ...config },
    {
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0.5,
      ...deps,
    },
  );
  clients.push(c);
  return c;
}

async function caught(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    return err as ConnectorError;
  }
  throw new Error('expected a rejection');
}

describe('Table API requests', () => {
  it('getRecord sends minimal fields, excludes reference links, authenticates, and reads typed values', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, { body: fixture('servicenow', 'table-incident-get') });
    const record = await client().getRecord('incident', SYS_ID);
    expect(stub.requests).toHaveLength(1);
    const req = stub.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.query).toEqual({
      sysparm_fields: 'sys_id,sys_mod_count,sys_updated_on',
      sysparm_exclude_reference_link: 'true',
    });
    expect(req.headers.authorization).toBe(BASIC);
    expect(req.headers.accept).toBe('application/json');
    expect(asInt(record.sys_mod_count)).toBe(4);
    expect(asDateTime(record.sys_updated_on)).toEqual(new Date(Date.UTC(2016, 0, 22, 14, 28, 24)));
  });

  it('getRecord passes fields, display values and reference links when asked', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, {
      body: fixture('servicenow', 'table-incident-get-display-all'),
    });
    await client().getRecord('incident', SYS_ID, {
      fields: ['number', 'state', 'caller_id.email'],
      displayValue: 'all',
      referenceLinks: true,
    });
    expect(stub.requests[0]!.query).toEqual({
      sysparm_fields: 'number,state,caller_id.email',
      sysparm_display_value: 'all',
    });
  });

  it('query sends the encoded query with ORDERBY, limit and offset, and reads X-Total-Count and Link', async () => {
    stub.on('GET', '/api/now/table/incident', {
      headers: {
        'X-Total-Count': '5',
        Link: `<${stub.url}/api/now/table/incident?sysparm_offset=0>;rel="first",<${stub.url}/api/now/table/incident?sysparm_offset=4>;rel="next"`,
      },
      body: fixture('servicenow', 'table-incident-list-page1'),
    });
    const page = await client().query('incident', {
      query: 'active=true^priority<=2',
      orderBy: [{ field: 'sys_updated_on' }, { field: 'number', descending: true }],
      fields: ['sys_id', 'number'],
      limit: 2,
      offset: 2,
    });
    expect(stub.requests[0]!.query).toEqual({
      sysparm_query: 'active=true^priority<=2^ORDERBYsys_updated_on^ORDERBYDESCnumber',
      sysparm_fields: 'sys_id,number',
      sysparm_exclude_reference_link: 'true',
      sysparm_limit: '2',
      sysparm_offset: '2',
    });
    // the whole query value is URL-encoded: ^ travels as %5E, = as %3D
    expect(stub.requests[0]!.rawQuery).toContain('sysparm_query=active%3Dtrue%5Epriority%3C%3D2%5EORDERBY');
    expect(page).toMatchObject({ total: 5, hasNext: true, offset: 2, limit: 2 });
    expect(page.rows).toHaveLength(2);
  });

  it('queryAll pages by offset until X-Total-Count is reached', async () => {
    const pages: Record<string, string> = {
      '0': 'table-incident-list-page1',
      '2': 'table-incident-list-page2',
      '4': 'table-incident-list-page3',
    };
    stub.on('GET', '/api/now/table/incident', (req) => ({
      headers: { 'X-Total-Count': '5' },
      body: fixture('servicenow', pages[req.query.sysparm_offset!]!),
    }));
    const numbers: string[] = [];
    for await (const row of client().queryAll('incident', { query: 'active=true', limit: 2 }))
      numbers.push(String(row.number));
    expect(numbers).toEqual(['INC0010000', 'INC0010001', 'INC0010002', 'INC0010003', 'INC0010004']);
    expect(stub.requests.map((r) => r.query.sysparm_offset)).toEqual(['0', '2', '4']);
  });

  it('queryAll follows rel="next" when there is no X-Total-Count, and steps by limit even after a short (ACL-filtered) page', async () => {
    const link = (offset: number, next: boolean) =>
      [
        `<${stub.url}/api/now/table/incident?sysparm_offset=0>;rel="first"`,
        next ? `<${stub.url}/api/now/table/incident?sysparm_offset=${offset + 2}>;rel="next"` : '',
        `<${stub.url}/api/now/table/incident?sysparm_offset=4>;rel="last"`,
      ]
        .filter(Boolean)
        .join(',');
    const short = { result: fixture('servicenow', 'table-incident-list-page1').result.slice(0, 1) };
    const bodies: Record<string, unknown> = {
      '0': short,
      '2': fixture('servicenow', 'table-incident-list-page2'),
      '4': fixture('servicenow', 'table-incident-list-page3'),
    };
    stub.on('GET', '/api/now/table/incident', (req) => {
      const offset = Number(req.query.sysparm_offset);
      return { headers: { Link: link(offset, offset < 4) }, body: bodies[String(offset)] };
    });
    const rows = [];
    for await (const row of client().queryAll('incident', { limit: 2 })) rows.push(row);
    expect(rows).toHaveLength(4);
    expect(stub.requests.map((r) => r.query.sysparm_offset)).toEqual(['0', '2', '4']);
  });

  it('queryAll stops after one page when the instance sends a single short page without Link', async () => {
    stub.on('GET', '/api/now/table/incident', {
      headers: { 'X-Total-Count': '0' },
      body: fixture('servicenow', 'table-incident-list-empty'),
    });
    const rows = [];
    for await (const row of client().queryAll('incident')) rows.push(row);
    expect(rows).toEqual([]);
    expect(stub.requests).toHaveLength(1);
  });

  it('update PATCHes JSON with sysparm_fields; insert POSTs; delete sends DELETE', async () => {
    stub.on('PATCH', `/api/now/table/incident/${SYS_ID}`, { body: fixture('servicenow', 'table-incident-patch') });
    stub.on('POST', '/api/now/table/incident', {
      status: 201,
      headers: { Location: `${stub.url}/api/now/table/incident/a9e30c7dc61122760116894de7bcc7bd` },
      body: fixture('servicenow', 'table-incident-post'),
    });
    stub.on('DELETE', `/api/now/table/incident/${SYS_ID}`, { status: 204 });
    const c = client();
    const updated = await c.update(
      'incident',
      SYS_ID,
      { state: '6', close_code: 'Solution provided', close_notes: 'Restarted' },
      { fields: ['sys_id', 'sys_mod_count'] },
    );
    const inserted = await c.insert('incident', {
      short_description: 'nginx is down on web01',
      caller_id: '681ccaf9c0a8016400b98a06818d57c7',
    });
    await c.delete('incident', SYS_ID);

    const [patch, post, del] = stub.requests;
    expect(patch!.method).toBe('PATCH');
    expect(patch!.headers['content-type']).toBe('application/json');
    expect(patch!.json).toEqual({ state: '6', close_code: 'Solution provided', close_notes: 'Restarted' });
    expect(patch!.query).toEqual({ sysparm_fields: 'sys_id,sys_mod_count', sysparm_exclude_reference_link: 'true' });
    expect(asInt(updated.sys_mod_count)).toBe(5);
    expect(post!.json).toEqual({
      short_description: 'nginx is down on web01',
      caller_id: '681ccaf9c0a8016400b98a06818d57c7',
    });
    expect(post!.query.sysparm_fields).toBe('sys_id,sys_mod_count,sys_updated_on');
    expect(asInt(inserted.sys_mod_count)).toBe(0);
    expect(del!.method).toBe('DELETE');
    expect(del!.body.byteLength).toBe(0);
  });

  it('refuses unsafe table names, sys_ids and field names before sending anything', async () => {
    const c = client();
    await expect(c.getRecord('incident/../sys_user', SYS_ID)).rejects.toMatchObject({ code: 'servicenow.bad_request' });
    await expect(c.getRecord('incident', '../../sys_user')).rejects.toMatchObject({ code: 'servicenow.bad_request' });
    await expect(c.getRecord('incident', SYS_ID, { fields: ['number&sysparm_view=x'] })).rejects.toMatchObject({
      code: 'servicenow.bad_request',
    });
    await expect(c.query('incident', { limit: 5000 })).rejects.toMatchObject({ code: 'servicenow.bad_request' });
    expect(stub.requests).toHaveLength(0);
  });

  it('sends extra headers, but they never replace authentication', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, { body: fixture('servicenow', 'table-incident-get') });
    await client({ extraHeaders: { 'X-Snowline-Instance': 'eu-1', Authorization: 'Basic forged' } }).getRecord(
      'incident',
      SYS_ID,
    );
    expect(stub.requests[0]!.headers['x-snowline-instance']).toBe('eu-1');
    expect(stub.requests[0]!.headers.authorization).toBe(BASIC);
  });

  it('never sends back session cookies (each request stands alone)', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, {
      headers: {
        'Set-Cookie': 'JSESSIONID=8F3A1B2C3D4E5F60718293A4B5C6D7E8; Path=/; HttpOnly',
        'X-Is-Logged-In': 'true',
      },
      body: fixture('servicenow', 'table-incident-get'),
    });
    const c = client();
    await c.getRecord('incident', SYS_ID);
    await c.getRecord('incident', SYS_ID);
    expect(stub.requests).toHaveLength(2);
    expect(stub.requests[1]!.headers.cookie).toBeUndefined();
  });
});

describe('errors', () => {
  it('404 → servicenow.not_found, not retried', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, {
      status: 404,
      body: fixture('servicenow', 'error-not-found'),
    });
    const err = await caught(client().getRecord('incident', SYS_ID));
    expect(err).toMatchObject({ code: 'servicenow.not_found', failure: 'permanent' });
    expect(stub.requests).toHaveLength(1);
  });

  it('403 data policy on PATCH → servicenow.data_policy naming the mandatory fields', async () => {
    stub.on('PATCH', `/api/now/table/incident/${SYS_ID}`, {
      status: 403,
      body: fixture('servicenow', 'error-data-policy'),
    });
    const err = await caught(client().update('incident', SYS_ID, { state: '6' }));
    expect(err).toMatchObject({ code: 'servicenow.data_policy', failure: 'permanent' });
    expect(err.details.mandatoryFields).toEqual(['Resolution code', 'Close notes']);
    expect(stub.requests).toHaveLength(1);
  });

  it('403 ACL → servicenow.forbidden; 400 invalid table → servicenow.bad_request', async () => {
    stub.on('PATCH', `/api/now/table/incident/${SYS_ID}`, { status: 403, body: fixture('servicenow', 'error-acl') });
    stub.on('GET', '/api/now/table/incidnt', { status: 400, body: fixture('servicenow', 'error-invalid-table') });
    expect(await caught(client().update('incident', SYS_ID, { state: '2' }))).toMatchObject({
      code: 'servicenow.forbidden',
    });
    expect(await caught(client().query('incidnt'))).toMatchObject({
      code: 'servicenow.bad_request',
      failure: 'permanent',
    });
  });

  it('a 200 HTML page (hibernating instance, SSO login) is not mistaken for data', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, {
      headers: { 'Content-Type': 'text/html' },
      body: '<html><body>Your instance is hibernating</body></html>',
    });
    const err = await caught(client({ retry: { maxAttempts: 1 } }).getRecord('incident', SYS_ID));
    expect(err).toMatchObject({ code: 'servicenow.unavailable', failure: 'transient' });
  });
});

describe('retries', () => {
  it('GET: retries 5xx with exponential backoff and jitter, then succeeds', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, [
      { status: 503, body: fixture('servicenow', 'error-server') },
      { status: 502, body: '' },
      { body: fixture('servicenow', 'table-incident-get') },
    ]);
    const record = await client({
      retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxWaitMs: 60000 },
    }).getRecord('incident', SYS_ID);
    expect(record.sys_id).toBe(SYS_ID);
    expect(stub.requests).toHaveLength(3);
    // random() = 0.5: 3/4 of 100 ms, then 3/4 of 200 ms
    expect(waits).toEqual([75, 150]);
  });

  it('GET: bounded attempts; the last error is thrown', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, { status: 500, body: fixture('servicenow', 'error-server') });
    const err = await caught(
      client({ retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 10, maxWaitMs: 1000 } }).getRecord(
        'incident',
        SYS_ID,
      ),
    );
    expect(err).toMatchObject({ code: 'servicenow.unavailable', failure: 'transient' });
    expect(stub.requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('429 with X-RateLimit-Reset: waits exactly until the reset (server clock), then retries', async () => {
    const serverNow = Date.UTC(2025, 2, 4, 10, 0, 0);
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, [
      {
        status: 429,
        headers: {
          Date: new Date(serverNow).toUTCString(),
          'X-RateLimit-Limit': '100',
          'X-RateLimit-Reset': String(serverNow / 1000 + 3),
          'X-RateLimit-Rule': 'd4b6a2a8c0a80164007e4e1f4f8b8a77',
          'Retry-After': '3',
        },
        body: fixture('servicenow', 'error-rate-limited'),
      },
      { body: fixture('servicenow', 'table-incident-get') },
    ]);
    await client().getRecord('incident', SYS_ID);
    expect(waits).toEqual([3000]);
    expect(stub.requests).toHaveLength(2);
  });

  it('429 with X-RateLimit-Reset, real clock: the retry is not sent before the reset', async () => {
    let resetSeconds = 0;
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, () => {
      if (stub.requests.length > 1) return { body: fixture('servicenow', 'table-incident-get') };
      resetSeconds = Math.ceil(Date.now() / 1000) + 1;
      return {
        status: 429,
        headers: { 'X-RateLimit-Limit': '100', 'X-RateLimit-Reset': String(resetSeconds) },
        body: fixture('servicenow', 'error-rate-limited'),
      };
    });
    const c = new ServiceNowClient({ url: stub.url, auth: { type: 'bearer', token: 'abc' } });
    clients.push(c);
    await c.getRecord('incident', SYS_ID);
    expect(stub.requests).toHaveLength(2);
    // lower bound only (a loaded machine can only make it later); 50 ms for timer granularity
    expect(stub.requests[1]!.receivedAt).toBeGreaterThanOrEqual(resetSeconds * 1000 - 50);
  });

  it('429 whose reset is too far away is handed to the engine with retryAfterMs instead of sleeping', async () => {
    const serverNow = Date.UTC(2025, 2, 4, 10, 0, 0);
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, {
      status: 429,
      headers: {
        Date: new Date(serverNow).toUTCString(),
        'X-RateLimit-Limit': '100',
        'X-RateLimit-Reset': String(serverNow / 1000 + 1800),
        'Retry-After': '1800',
      },
      body: fixture('servicenow', 'error-rate-limited'),
    });
    const err = await caught(client().getRecord('incident', SYS_ID));
    expect(err).toMatchObject({ code: 'servicenow.rate_limited', failure: 'transient', retryAfterMs: 1_800_000 });
    expect(stub.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('429 without rate-limit headers (API queue full): backoff with jitter, also for POST (it was turned away)', async () => {
    stub.on('POST', '/api/now/table/incident', [
      { status: 429, body: '' },
      { status: 429, body: '' },
      { status: 201, body: fixture('servicenow', 'table-incident-post') },
    ]);
    let r = 0;
    const randoms = [0, 1];
    const c = client(
      { retry: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5000, maxWaitMs: 60000 } },
      { random: () => randoms[r++ % 2]! },
    );
    await c.insert('incident', { short_description: 'x' });
    expect(stub.requests).toHaveLength(3);
    // full jitter between half and all of the step: 200 → [100, 200], 400 → [200, 400]
    expect(waits).toEqual([100, 400]);
  });

  it('POST is never retried after a 5xx: servicenow.ambiguous', async () => {
    stub.on('POST', '/api/now/table/incident', { status: 500, body: fixture('servicenow', 'error-server') });
    const err = await caught(client().insert('incident', { short_description: 'x' }));
    expect(err).toMatchObject({ code: 'servicenow.ambiguous', failure: 'ambiguous' });
    expect(stub.requests).toHaveLength(1);
  });

  it('POST whose connection breaks after sending: servicenow.ambiguous, sent once', async () => {
    stub.on('POST', '/api/now/table/incident', { hangUp: true });
    const err = await caught(client().insert('incident', { short_description: 'x' }));
    expect(err).toMatchObject({ code: 'servicenow.ambiguous', failure: 'ambiguous' });
    expect(stub.requests).toHaveLength(1);
  });

  it('PATCH of plain fields is idempotent: retried after a broken connection', async () => {
    stub.on('PATCH', `/api/now/table/incident/${SYS_ID}`, [
      { hangUp: true },
      { body: fixture('servicenow', 'table-incident-patch') },
    ]);
    const record = await client().update('incident', SYS_ID, { state: '2' });
    expect(asInt(record.sys_mod_count)).toBe(5);
    expect(stub.calls('PATCH', `/api/now/table/incident/${SYS_ID}`)).toHaveLength(2);
  });

  it('PATCH carrying work_notes is not: ambiguous after a broken connection, and after a 502', async () => {
    stub.on('PATCH', `/api/now/table/incident/${SYS_ID}`, [{ hangUp: true }, { status: 502, body: '' }]);
    const c = client();
    expect(await caught(c.update('incident', SYS_ID, { work_notes: 'Restarted nginx' }))).toMatchObject({
      code: 'servicenow.ambiguous',
    });
    expect(await caught(c.update('incident', SYS_ID, { state: '2', comments: 'We are on it' }))).toMatchObject({
      code: 'servicenow.ambiguous',
    });
    expect(stub.requests).toHaveLength(2);
  });

  it('a timeout on GET is retried; on POST it is ambiguous', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, [
      async () => {
        await new Promise((r) => setTimeout(r, 400));
        return { body: fixture('servicenow', 'table-incident-get') };
      },
      { body: fixture('servicenow', 'table-incident-get') },
    ]);
    stub.on('POST', '/api/now/table/incident', async () => {
      await new Promise((r) => setTimeout(r, 400));
      return { status: 201, body: fixture('servicenow', 'table-incident-post') };
    });
    const c = client({ timeoutMs: 100 });
    await c.getRecord('incident', SYS_ID);
    expect(stub.calls('GET', `/api/now/table/incident/${SYS_ID}`)).toHaveLength(2);
    expect(await caught(c.insert('incident', { short_description: 'x' }))).toMatchObject({
      code: 'servicenow.ambiguous',
    });
  });

  it('connection refused is retried for any method, then reported as transient unavailable', async () => {
    const closed = await startStub();
    const url = closed.url;
    await closed.close();
    const c = client({ url, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 10, maxWaitMs: 1000 } });
    const err = await caught(c.insert('incident', { short_description: 'x' }));
    expect(err).toMatchObject({ code: 'servicenow.unavailable', failure: 'transient' });
    expect(waits).toHaveLength(2);
  });
});

describe('authentication', () => {
  const oauth = (extra: Record<string, unknown> = {}) =>
    ({
      type: 'oauth',
      grant: 'password',
      clientId: 'snowline-client',
      clientSecret: 'cl13nt-s3cret',
      username: 'snowline.integration',
      password: 's3cret!',
      ...extra,
    }) as const;
  const token = fixture('servicenow', 'oauth-token');
  const refreshed = fixture('servicenow', 'oauth-token-refreshed');

  it('api_key sends x-sn-apikey; bearer sends the static token', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, { body: fixture('servicenow', 'table-incident-get') });
    await client({ auth: { type: 'api_key', apiKey: 'now_abc123' } }).getRecord('incident', SYS_ID);
    await client({ auth: { type: 'bearer', token: 'tok-1' } }).getRecord('incident', SYS_ID);
    expect(stub.requests[0]!.headers['x-sn-apikey']).toBe('now_abc123');
    expect(stub.requests[0]!.headers.authorization).toBeUndefined();
    expect(stub.requests[1]!.headers.authorization).toBe('Bearer tok-1');
  });

  it('basic auth: a 401 is final (no re-authentication could change it)', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, {
      status: 401,
      body: fixture('servicenow', 'error-unauthenticated'),
    });
    expect(await caught(client().getRecord('incident', SYS_ID))).toMatchObject({
      code: 'servicenow.auth',
      failure: 'permanent',
    });
    expect(stub.requests).toHaveLength(1);
  });

  it('OAuth password grant: form-encoded token request, bearer on API calls, token reused', async () => {
    stub.on('POST', '/oauth_token.do', { body: token });
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, { body: fixture('servicenow', 'table-incident-get') });
    const c = client({ auth: oauth() });
    await c.getRecord('incident', SYS_ID);
    await c.getRecord('incident', SYS_ID);
    const tokenCalls = stub.calls('POST', '/oauth_token.do');
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(tokenCalls[0]!.form).toEqual({
      grant_type: 'password',
      username: 'snowline.integration',
      password: 's3cret!',
      client_id: 'snowline-client',
      client_secret: 'cl13nt-s3cret',
    });
    expect(tokenCalls[0]!.headers.authorization).toBeUndefined();
    for (const r of stub.calls('GET', `/api/now/table/incident/${SYS_ID}`))
      expect(r.headers.authorization).toBe(`Bearer ${token.access_token}`);
  });

  it('OAuth: concurrent first requests share one token request', async () => {
    stub.on('POST', '/oauth_token.do', async () => {
      await new Promise((r) => setTimeout(r, 50));
      return { body: token };
    });
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, { body: fixture('servicenow', 'table-incident-get') });
    const c = client({ auth: oauth() });
    await Promise.all([
      c.getRecord('incident', SYS_ID),
      c.getRecord('incident', SYS_ID),
      c.getRecord('incident', SYS_ID),
    ]);
    expect(stub.calls('POST', '/oauth_token.do')).toHaveLength(1);
  });

  it('OAuth: refreshes with the refresh token 60 s before expiry, not earlier', async () => {
    let now = 1_700_000_000_000;
    stub.on('POST', '/oauth_token.do', (req) => ({
      body: req.form?.grant_type === 'refresh_token' ? refreshed : token,
    }));
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, { body: fixture('servicenow', 'table-incident-get') });
    const c = client({ auth: oauth() }, { now: () => now });
    await c.getRecord('incident', SYS_ID);
    now += (1799 - 61) * 1000; // 61 s left: still valid
    await c.getRecord('incident', SYS_ID);
    expect(stub.calls('POST', '/oauth_token.do')).toHaveLength(1);
    now += 2000; // 59 s left: refresh first
    await c.getRecord('incident', SYS_ID);
    const tokenCalls = stub.calls('POST', '/oauth_token.do');
    expect(tokenCalls).toHaveLength(2);
    expect(tokenCalls[1]!.form).toEqual({
      grant_type: 'refresh_token',
      refresh_token: token.refresh_token,
      client_id: 'snowline-client',
      client_secret: 'cl13nt-s3cret',
    });
    expect(stub.calls('GET', `/api/now/table/incident/${SYS_ID}`).at(-1)!.headers.authorization).toBe(
      `Bearer ${refreshed.access_token}`,
    );
  });

  it('OAuth: a 401 triggers exactly one re-authentication and one retry', async () => {
    stub.on('POST', '/oauth_token.do', [{ body: token }, { body: refreshed }]);
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, (req) =>
      req.headers.authorization === `Bearer ${refreshed.access_token}`
        ? { body: fixture('servicenow', 'table-incident-get') }
        : { status: 401, body: fixture('servicenow', 'error-unauthenticated') },
    );
    const record = await client({ auth: oauth() }).getRecord('incident', SYS_ID);
    expect(record.sys_id).toBe(SYS_ID);
    expect(stub.calls('POST', '/oauth_token.do').map((r) => r.form?.grant_type)).toEqual(['password', 'refresh_token']);
    expect(stub.calls('GET', `/api/now/table/incident/${SYS_ID}`)).toHaveLength(2);
  });

  it('OAuth: a second 401 is final — servicenow.auth, no loop', async () => {
    stub.on('POST', '/oauth_token.do', { body: token });
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, {
      status: 401,
      body: fixture('servicenow', 'error-unauthenticated'),
    });
    const err = await caught(client({ auth: oauth() }).getRecord('incident', SYS_ID));
    expect(err).toMatchObject({ code: 'servicenow.auth', failure: 'permanent' });
    expect(stub.calls('GET', `/api/now/table/incident/${SYS_ID}`)).toHaveLength(2);
    expect(stub.calls('POST', '/oauth_token.do')).toHaveLength(2);
  });

  it('OAuth: a refused refresh token falls back to the configured grant', async () => {
    let now = 1_700_000_000_000;
    stub.on('POST', '/oauth_token.do', (req) =>
      req.form?.grant_type === 'refresh_token'
        ? { status: 401, body: fixture('servicenow', 'oauth-error') }
        : { body: token },
    );
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, { body: fixture('servicenow', 'table-incident-get') });
    const c = client({ auth: oauth() }, { now: () => now });
    await c.getRecord('incident', SYS_ID);
    now += 1800 * 1000;
    await c.getRecord('incident', SYS_ID);
    expect(stub.calls('POST', '/oauth_token.do').map((r) => r.form?.grant_type)).toEqual([
      'password',
      'refresh_token',
      'password',
    ]);
  });

  it('OAuth client_credentials grant; a refused grant is servicenow.auth and no API call is made', async () => {
    stub.on('POST', '/oauth_token.do', [
      { body: { ...token, refresh_token: undefined } },
      { status: 401, body: fixture('servicenow', 'oauth-error') },
    ]);
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, { body: fixture('servicenow', 'table-incident-get') });
    await client({
      auth: { type: 'oauth', grant: 'client_credentials', clientId: 'c', clientSecret: 's', scope: 'useraccount' },
    }).getRecord('incident', SYS_ID);
    expect(stub.requests[0]!.form).toEqual({
      grant_type: 'client_credentials',
      client_id: 'c',
      client_secret: 's',
      scope: 'useraccount',
    });

    const err = await caught(
      client({ auth: { type: 'oauth', grant: 'client_credentials', clientId: 'c', clientSecret: 'wrong' } }).getRecord(
        'incident',
        SYS_ID,
      ),
    );
    expect(err).toMatchObject({ code: 'servicenow.auth', failure: 'permanent' });
    expect(err.message).toContain('access_denied');
    expect(stub.calls('GET', `/api/now/table/incident/${SYS_ID}`)).toHaveLength(1);
  });
});

describe('journal and attachments', () => {
  it('journalEntries reads sys_journal_field newest first and converts the rows', async () => {
    stub.on('GET', '/api/now/table/sys_journal_field', { body: fixture('servicenow', 'journal-work-notes') });
    const entries = await client().journalEntries(SYS_ID, 'work_notes', { table: 'incident', limit: 20 });
    expect(stub.requests[0]!.query).toEqual({
      sysparm_query: `element_id=${SYS_ID}^element=work_notes^name=incident^ORDERBYDESCsys_created_on`,
      sysparm_fields: 'sys_id,element,element_id,name,value,sys_created_on,sys_created_by',
      sysparm_exclude_reference_link: 'true',
      sysparm_limit: '20',
      sysparm_offset: '0',
    });
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      element: 'work_notes',
      elementId: SYS_ID,
      table: 'incident',
      createdBy: 'snowline.integration',
    });
    expect(entries[0]!.createdOn).toEqual(new Date(Date.UTC(2025, 2, 4, 10, 15, 2)));
    expect(entries[0]!.value).toContain('[snowline-writeback:');
  });

  it('journalEntries refuses a sys_id that would change the query', async () => {
    await expect(client().journalEntries(`${SYS_ID}^ORelement_id!=x`)).rejects.toMatchObject({
      code: 'servicenow.bad_query_value',
    });
    expect(stub.requests).toHaveLength(0);
  });

  it('attach POSTs the raw bytes with their content type to /api/now/attachment/file', async () => {
    stub.on('POST', '/api/now/attachment/file', {
      status: 201,
      headers: { Location: `${stub.url}/api/now/attachment/94fe3b8b1b7f2110a1b2c3d4e5f60718` },
      body: fixture('servicenow', 'attachment-created'),
    });
    const bytes = Buffer.from('PLAY RECAP\nweb01 : ok=1 changed=1\n', 'utf8');
    const info = await client().attach('incident', SYS_ID, 'job-42.log', 'text/plain', bytes);
    const req = stub.requests[0]!;
    expect(req.query).toEqual({ table_name: 'incident', table_sys_id: SYS_ID, file_name: 'job-42.log' });
    expect(req.headers['content-type']).toBe('text/plain');
    expect(req.body.equals(bytes)).toBe(true);
    expect(info).toMatchObject({
      sysId: '94fe3b8b1b7f2110a1b2c3d4e5f60718',
      fileName: 'job-42.log',
      sizeBytes: 462,
      tableSysId: SYS_ID,
    });
  });

  it('attach refuses a file above attachmentMaxBytes without sending it', async () => {
    const err = await caught(
      client({ attachmentMaxBytes: 1024 }).attach('incident', SYS_ID, 'big.log', 'text/plain', Buffer.alloc(1025)),
    );
    expect(err).toMatchObject({ code: 'servicenow.attachment_too_large', failure: 'permanent' });
    expect(stub.requests).toHaveLength(0);
  });

  it('attach is not retried once sent', async () => {
    stub.on('POST', '/api/now/attachment/file', { hangUp: true });
    expect(await caught(client().attach('incident', SYS_ID, 'a.log', 'text/plain', Buffer.from('x')))).toMatchObject({
      failure: 'ambiguous',
    });
    expect(stub.requests).toHaveLength(1);
  });
});

describe('rate limiting with bottleneck', () => {
  it('maxConcurrent bounds the requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
      return { body: fixture('servicenow', 'table-incident-get') };
    });
    const c = client({ maxConcurrent: 2 });
    await Promise.all(Array.from({ length: 6 }, () => c.getRecord('incident', SYS_ID)));
    expect(stub.requests).toHaveLength(6);
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('requestsPerHour is a reservoir: once spent, further requests wait for the refill', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, { body: fixture('servicenow', 'table-incident-get') });
    const c = client({ requestsPerHour: 2 });
    await c.getRecord('incident', SYS_ID);
    await c.getRecord('incident', SYS_ID);
    expect(await (c.limiter as Bottleneck).currentReservoir()).toBe(0);
    let third = false;
    const pending = c.getRecord('incident', SYS_ID).then(() => {
      third = true;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(third).toBe(false);
    expect(stub.requests).toHaveLength(2);
    await (c.limiter as Bottleneck).incrementReservoir(1); // what the hourly refresh does
    await pending;
    expect(stub.requests).toHaveLength(3);
  });

  it('uses an injected limiter (e.g. a Redis-clustered one) for every request', async () => {
    stub.on('GET', `/api/now/table/incident/${SYS_ID}`, { body: fixture('servicenow', 'table-incident-get') });
    const limiter = new Bottleneck({ maxConcurrent: 1 });
    const schedule = jest.spyOn(limiter, 'schedule');
    const c = client({}, { limiter });
    expect(c.limiter).toBe(limiter);
    await c.getRecord('incident', SYS_ID);
    expect(schedule).toHaveBeenCalledTimes(1);
    await limiter.disconnect();
  });
});

describe('Batch API', () => {
  const A = '9d385017c611228701d22104cc95c371';
  const B = 'a9e30c7dc61122760116894de7bcc7bd';
  const C = '681ccaf9c0a8016400b98a06818d57c7';

  it('sends base64 bodies with relative URLs and maps each item: ok, typed error, unserviced', async () => {
    stub.on('POST', '/api/now/v1/batch', { body: fixture('servicenow', 'batch-response') });
    const outcome = await client().batch(
      [
        {
          id: 'wb-1',
          method: 'PATCH',
          url: `/api/now/table/incident/${A}?sysparm_fields=sys_id,sys_mod_count`,
          body: { state: '2' },
        },
        {
          id: 'wb-2',
          method: 'PATCH',
          url: `/api/now/table/incident/${B}?sysparm_fields=sys_id,sys_mod_count`,
          body: { state: '6' },
        },
        {
          id: 'wb-3',
          method: 'PATCH',
          url: `/api/now/table/incident/${C}?sysparm_fields=sys_id,sys_mod_count`,
          body: { state: '2' },
        },
      ],
      { batchId: 'snowline-batch-1' },
    );
    const req = stub.requests[0]!;
    const sent = req.json as {
      batch_request_id: string;
      rest_requests: Array<{
        id: string;
        method: string;
        url: string;
        body: string;
        headers: unknown[];
        exclude_response_headers: boolean;
      }>;
    };
    expect(sent.batch_request_id).toBe('snowline-batch-1');
    expect(sent.rest_requests[0]).toEqual({
      id: 'wb-1',
      method: 'PATCH',
      url: `/api/now/table/incident/${A}?sysparm_fields=sys_id,sys_mod_count`,
      headers: [
        { name: 'Content-Type', value: 'application/json' },
        { name: 'Accept', value: 'application/json' },
      ],
      body: Buffer.from(JSON.stringify({ state: '2' })).toString('base64'),
      exclude_response_headers: true,
    });
    expect(outcome.results.get('wb-1')).toEqual({
      ok: true,
      status: 200,
      body: { result: { sys_id: A, sys_mod_count: '5' } },
    });
    const failed = outcome.results.get('wb-2');
    expect(failed?.ok).toBe(false);
    expect(failed && !failed.ok && failed.error).toMatchObject({
      code: 'servicenow.data_policy',
      failure: 'permanent',
    });
    expect(outcome.unserviced).toEqual(['wb-3']);
  });

  it('a batch carrying a work note is not repeated after a broken connection; a batch of plain PATCHes is', async () => {
    stub.on('POST', '/api/now/v1/batch', [
      { hangUp: true },
      { body: fixture('servicenow', 'batch-response') },
      { hangUp: true },
    ]);
    const c = client();
    const plain = await c.batch([
      { id: 'wb-1', method: 'PATCH', url: `/api/now/table/incident/${A}`, body: { state: '2' } },
    ]);
    expect(plain.results.get('wb-1')?.ok).toBe(true);
    expect(stub.requests).toHaveLength(2);
    await expect(
      c.batch([{ id: 'n', method: 'PATCH', url: `/api/now/table/incident/${A}`, body: { work_notes: 'x' } }]),
    ).rejects.toMatchObject({ failure: 'ambiguous' });
    expect(stub.requests).toHaveLength(3);
  });
});

describe('limiter failures', () => {
  it('a failing limiter is transient and nothing is sent, even for POST', async () => {
    const limiter = new Bottleneck({ maxConcurrent: 1 });
    await limiter.stop({ dropWaitingJobs: true });
    const err = await caught(
      client({ retry: { maxAttempts: 1 } }, { limiter }).insert('incident', { short_description: 'x' }),
    );
    expect(err).toMatchObject({ code: 'servicenow.unavailable', failure: 'transient' });
    expect(stub.requests).toHaveLength(0);
  });
});

describe('Import Set API (servicenow-behaviour §6.3)', () => {
  it('importRecord POSTs the row as JSON to /api/now/import/{staging_table} and reads the transform result', async () => {
    stub.on('POST', '/api/now/import/imp_user', { status: 201, body: fixture('servicenow', 'import-set-inserted') });
    const result = await client().importRecord('imp_user', { u_user_name: 'john.public', u_name: 'John Public' });
    const [sent] = stub.calls('POST', '/api/now/import/imp_user');
    expect(sent!.json).toEqual({ u_user_name: 'john.public', u_name: 'John Public' });
    expect(sent!.headers['content-type']).toMatch(/^application\/json/);
    expect(result).toEqual({
      importSet: 'ISET0010001',
      stagingTable: 'imp_user',
      results: [
        {
          transformMap: 'User',
          table: 'sys_user',
          status: 'inserted',
          sysId: 'ea9d0d403b3e3300b8f4f2dc35efc4c5',
          displayName: 'name',
          displayValue: 'John Public',
          recordLink: 'https://instance.service-now.com/api/now/table/sys_user/ea9d0d403b3e3300b8f4f2dc35efc4c5',
          errorMessage: undefined,
        },
      ],
    });
  });

  it('a row the transform refused is reported inside the 201, not thrown; a 5xx is ambiguous and not repeated', async () => {
    stub.on('POST', '/api/now/import/imp_user', { status: 201, body: fixture('servicenow', 'import-set-error') });
    const result = await client().importRecord('imp_user', { u_name: 'nobody' });
    expect(result.results[0]).toMatchObject({ status: 'error', errorMessage: expect.stringContaining('coalesce') });
    stub.on('POST', '/api/now/import/imp_user', { status: 502, body: fixture('servicenow', 'error-server') });
    const err = await caught(client().importRecord('imp_user', { u_name: 'x' }));
    expect(err.code).toBe('servicenow.ambiguous');
    expect(stub.calls('POST', '/api/now/import/imp_user')).toHaveLength(2);
  });

  it('refuses an unsafe staging table name before sending', async () => {
    const err = await caught(client().importRecord('imp_user/../sys_user', {}));
    expect(err.code).toBe('servicenow.bad_request');
    expect(stub.requests).toHaveLength(0);
  });
});
