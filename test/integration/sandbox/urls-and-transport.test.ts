import axios from 'axios';
import { request as httpRequest } from 'node:http';
import { startSandbox, SYS_ID, type RunningSandbox } from './sandbox-harness';

let s: RunningSandbox;
afterEach(() => s?.sandbox.close());

const json = [
  { name: 'Content-Type', value: 'application/json' },
  { name: 'Accept', value: 'application/json' },
];
const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const decode = (body: string) => JSON.parse(Buffer.from(body, 'base64').toString('utf8'));
/** An encoded query longer than any request line a server takes (`sys_idIN` with 2,000 ids). */
const longQuery = (ids: string[]) =>
  `sys_idIN${[...ids, ...Array.from({ length: 2000 }, (_, i) => i.toString(16).padStart(32, '0'))].join(',')}`;

describe('item 6: /api/now/tinyurl', () => {
  // docs/sandbox.md, Tiny URL (clients post an over-long URL and GET with sysparm_tiny); the answer
  // shape {"result": "<path>?sysparm_tiny=<id>"} is the one ServiceNow's own UI scripts read
  // (GlideNavigation.open: `_open(response.result)`), rows kept in sys_tiny_url.
  it('a posted long URL comes back as a sysparm_tiny URL that selects exactly the same records', async () => {
    s = await startSandbox();
    const a = (await s.snow.post('/api/now/table/incident', { short_description: 'a' })).data.result;
    await s.snow.post('/api/now/table/incident', { short_description: 'b' });
    const long = `/api/now/table/incident?sysparm_query=${encodeURIComponent(longQuery([a.sys_id]))}&sysparm_fields=number`;
    const posted = await s.snow.post('/api/now/tinyurl', { url: long });
    expect(posted.status).toBe(200);
    expect(posted.data.result).toMatch(/^\/api\/now\/table\/incident\?sysparm_tiny=[0-9a-f]{32}$/);
    const got = await s.snow.get(posted.data.result);
    expect(got.status).toBe(200);
    expect(got.data.result).toEqual([{ number: a.number }]);
  });

  it('an unknown sysparm_tiny is refused, never widened to every record', async () => {
    s = await startSandbox();
    await s.snow.post('/api/now/table/incident', { short_description: 'a' });
    const got = await s.snow.get('/api/now/table/incident?sysparm_tiny=0123456789abcdef0123456789abcdef');
    expect(got.status).toBe(400);
    expect(got.data.status).toBe('failure');
    expect((await s.snow.post('/api/now/tinyurl', {})).status).toBe(400);
  });
});

describe('item 7: versioned paths', () => {
  // Attachment API, versioned URL /api/now/v1/attachment/...:
  // https://www.servicenow.com/docs/r/api-reference/rest-apis/c_AttachmentAPI.html
  it('every API answers under its versioned path too, and Location is the new file on the public address', async () => {
    s = await startSandbox({ baseUrl: 'https://acme.service-now.com' });
    const inc = (await s.snow.post('/api/now/v1/table/incident', { short_description: 'v1' })).data.result;
    expect((await s.snow.get(`/api/now/v2/table/incident/${inc.sys_id}`)).status).toBe(200);
    const up = await s.snow.post('/api/now/v1/attachment/file', Buffer.from('log'), {
      params: { table_name: 'incident', table_sys_id: inc.sys_id, file_name: 'a.log' },
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(up.status).toBe(201);
    expect(up.headers.location).toBe(`https://acme.service-now.com/api/now/attachment/${up.data.result.sys_id}`);
    expect((await s.snow.get(`/api/now/v1/attachment/${up.data.result.sys_id}/file`)).data).toBe('log');
    const batch = await s.snow.post('/api/now/v1/batch', { rest_requests: [] });
    expect(batch.status).toBe(200);
    expect((await s.snow.post('/api/now/v1/tinyurl', { url: '/api/now/table/incident?active=true' })).status).toBe(200);
    expect((await s.snow.get('/api/now/v1/cmdb/instance/cmdb_ci_linux_server')).status).toBe(200);
    expect((await s.snow.post('/api/now/v1/import/imp_user', {})).status).not.toBe(400);
  });
});

describe('item 8: Batch API details', () => {
  // Batch API: https://www.servicenow.com/docs/r/api-reference/rest-apis/batch-api.html
  it('a numeric batch_request_id is echoed as a string', async () => {
    s = await startSandbox();
    const res = await s.snow.post('/api/now/v1/batch', { batch_request_id: 42, rest_requests: [] });
    expect(res.status).toBe(200);
    expect(res.data.batch_request_id).toBe('42');
  });

  it('an item whose URL no HTTP request line could carry is executed in-process', async () => {
    s = await startSandbox();
    const a = (await s.snow.post('/api/now/table/incident', { short_description: 'wanted' })).data.result;
    await s.snow.post('/api/now/table/incident', { short_description: 'other' });
    const url = `/api/now/table/incident?sysparm_query=${encodeURIComponent(longQuery([a.sys_id]))}&sysparm_fields=number`;
    expect(url.length).toBeGreaterThan(64 * 1024);
    const res = await s.snow.post('/api/now/v1/batch', {
      batch_request_id: 7,
      rest_requests: [{ id: 'q', method: 'GET', url, headers: json, exclude_response_headers: true }],
    });
    expect(res.status).toBe(200);
    const [item] = res.data.serviced_requests;
    expect(item).toMatchObject({ id: 'q', status_code: 200, status_text: 'OK' });
    expect(decode(item.body)).toEqual({ result: [{ number: a.number }] });
  });

  it('items run as the caller: a batch with bad credentials runs nothing', async () => {
    s = await startSandbox();
    const res = await axios.post(
      `${s.url}/api/now/v1/batch`,
      { rest_requests: [{ id: 'w', method: 'POST', url: '/api/now/table/incident', headers: json, body: base64({}) }] },
      { auth: { username: 'admin', password: 'wrong' }, validateStatus: () => true },
    );
    expect(res.status).toBe(401);
    expect((await s.snow.get('/api/now/table/incident')).data.result).toEqual([]);
  });
});

describe('item 9: client-chosen sys_id', () => {
  // Table API POST: "sys_id" may be supplied on insert:
  // https://www.servicenow.com/docs/r/api-reference/rest-apis/c_TableAPI.html
  it('is kept exactly as given, upper-case hex too', async () => {
    s = await startSandbox();
    const upper = 'A1B2C3D4E5F60718293A4B5C6D7E8F90';
    const created = (await s.snow.post('/api/now/table/incident', { sys_id: upper, short_description: 'x' })).data
      .result;
    expect(created.sys_id).toBe(upper);
    expect((await s.snow.get(`/api/now/table/incident/${upper}`)).data.result.sys_id).toBe(upper);
    const lower = (await s.snow.post('/api/now/table/incident', { sys_id: 'not-hex', short_description: 'y' })).data
      .result;
    expect(lower.sys_id).toMatch(SYS_ID);
  });
});

describe('item 12: an over-long URL', () => {
  // The instance's Tomcat answers 400 with its error page "Request header is too large":
  // https://support.servicenow.com/kb?id=kb_article_view&sysparm_article=KB0826932
  it('gets the instance error page (400, HTML), not an empty 431', async () => {
    s = await startSandbox();
    const { port } = new URL(s.url);
    const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: `/api/now/table/incident?sysparm_query=${'a'.repeat(40_000)}`, method: 'GET' },
        (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(400);
    expect(answer.type).toMatch(/^text\/html/);
    expect(answer.body).toContain('Request header is too large');
  });
});

describe('item 13: links behind a TLS front', () => {
  it('follow the configured public URL', async () => {
    s = await startSandbox({ baseUrl: 'https://snow.example.com/' });
    const created = await s.snow.post('/api/now/table/incident', { short_description: 'x', caller_id: 'abel.tuter' });
    expect(created.headers.location).toMatch(/^https:\/\/snow\.example\.com\/api\/now\/table\/incident\/[0-9a-f]{32}$/);
    expect(created.data.result.caller_id.link).toMatch(/^https:\/\/snow\.example\.com\/api\/now\/table\/sys_user\//);
  });

  it('follow X-Forwarded-Proto and X-Forwarded-Host when no public URL is set', async () => {
    s = await startSandbox();
    const headers = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'front.example.com' };
    await s.snow.post('/api/now/table/incident', { short_description: 'a' });
    await s.snow.post('/api/now/table/incident', { short_description: 'b' });
    const page = await s.snow.get('/api/now/table/incident?sysparm_limit=1', { headers });
    expect(page.headers.link).toContain('<https://front.example.com/api/now/table/incident?');
    const bogus = await s.snow.get('/api/now/table/incident?sysparm_limit=1', {
      headers: { 'X-Forwarded-Host': 'evil.example.com/x?y=' },
    });
    expect(bogus.headers.link).toContain(`<${s.url}/api/now/table/incident?`);
  });
});

describe('item 14: realistic latency', () => {
  it('holds answers per API with jitter, switchable at run time', async () => {
    s = await startSandbox({ latency: { table: { ms: 300, jitterMs: 50 } } });
    const timed = async (call: () => Promise<unknown>) => {
      const started = Date.now();
      await call();
      return Date.now() - started;
    };
    // A lower bound only: the sandbox never answers before the profile's delay minus its jitter.
    expect(await timed(() => s.snow.get('/api/now/table/incident'))).toBeGreaterThanOrEqual(250);
    const admin = { auth: { username: 'admin', password: 'admin' }, validateStatus: () => true };
    expect((await axios.get(`${s.url}/sandbox/latency`, admin)).data).toEqual({ table: { ms: 300, jitterMs: 50 } });
    const bad = await axios.put(`${s.url}/sandbox/latency`, { table: { ms: -1 } }, admin);
    expect(bad.status).toBe(400);
    expect(bad.data.problems[0]).toMatch(/^table\.ms/);
    expect((await axios.put(`${s.url}/sandbox/latency`, { awx: { ms: 300 } }, admin)).status).toBe(200);
    expect(await timed(() => s.awx.get('/api/v2/jobs/'))).toBeGreaterThanOrEqual(300);
  });
});
