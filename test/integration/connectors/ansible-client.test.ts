import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ConnectorError } from '../../../src/errors';
import { ControllerClient } from '../../../connectors/ansible/client';
import type { ControllerConfigInput } from '../../../connectors/ansible/schemas';
import { fixture, startStub, textFixture, type Stub, type StubResponse } from './stub-server';

let stub: Stub;
const clients: ControllerClient[] = [];
let waits: number[];

beforeEach(async () => {
  stub = await startStub();
  waits = [];
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await stub.close();
});

function client(config: Partial<ControllerConfigInput> = {}): ControllerClient {
  const c = new ControllerClient(
    { url: stub.url, token: 'awx-token-1', ...config },
    {
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0.5,
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

describe('job templates', () => {
  it('findJobTemplate filters by name and organization, with the bearer token', async () => {
    stub.on('GET', '/api/v2/job_templates/', { body: fixture('awx', 'job-templates-one') });
    const t = await client().findJobTemplate('Restart service', 'Default');
    expect(t.id).toBe(7);
    const req = stub.requests[0]!;
    expect(req.query).toEqual({ name: 'Restart service', page_size: '20', organization__name: 'Default' });
    expect(req.headers.authorization).toBe('Bearer awx-token-1');
    expect(req.headers.accept).toBe('application/json');
  });

  it('none → ansible.template_not_found; several → ansible.template_ambiguous naming the organizations', async () => {
    stub.on('GET', '/api/v2/job_templates/', [
      { body: fixture('awx', 'job-templates-none') },
      { body: fixture('awx', 'job-templates-two') },
    ]);
    expect(await caught(client().findJobTemplate('Restart service'))).toMatchObject({
      code: 'ansible.template_not_found',
      failure: 'permanent',
    });
    const err = await caught(client().findJobTemplate('Restart service'));
    expect(err).toMatchObject({ code: 'ansible.template_ambiguous', failure: 'permanent' });
    expect(err.message).toContain('Default, Network');
  });

  it('uses the AAP 2.5+ gateway prefix and basic auth when configured', async () => {
    stub.on('GET', '/api/controller/v2/job_templates/', { body: fixture('awx', 'job-templates-one') });
    await client({
      apiPath: '/api/controller/v2/',
      token: undefined,
      username: 'snowline',
      password: 'pw',
    }).findJobTemplate('Restart service');
    expect(stub.requests[0]!.path).toBe('/api/controller/v2/job_templates/');
    expect(stub.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('snowline:pw').toString('base64')}`);
  });
});

describe('launch', () => {
  const launchPath = '/api/v2/job_templates/7/launch/';

  it('reads the prompts, then POSTs only the given fields and returns the job id', async () => {
    stub.on('GET', launchPath, { body: fixture('awx', 'launch-prompts-open') });
    stub.on('POST', launchPath, {
      status: 201,
      headers: { Location: '/api/v2/jobs/42/' },
      body: fixture('awx', 'launch-created'),
    });
    const launched = await client().launch(7, { extra_vars: { service_name: 'nginx' }, limit: 'web01.example.com' });
    expect(launched).toEqual({ jobId: 42, status: 'pending', labeled: false });
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${launchPath}`, `POST ${launchPath}`]);
    const post = stub.requests[1]!;
    expect(post.headers['content-type']).toBe('application/json');
    expect(post.json).toEqual({ extra_vars: { service_name: 'nginx' }, limit: 'web01.example.com' });
  });

  it('tags the launch with the idempotency label when the template prompts for labels; without rights to create labels it launches untagged', async () => {
    const labelsAsked = { ...(fixture('awx', 'launch-prompts-open') as object), ask_labels_on_launch: true };
    stub.on('GET', launchPath, { body: labelsAsked });
    stub.on('POST', launchPath, { status: 201, body: fixture('awx', 'launch-created') });
    stub.on('GET', '/api/v2/labels/', [
      {
        body: {
          count: 1,
          next: null,
          previous: null,
          results: [{ id: 5, name: 'snowline:run-1:restart', organization: 1 }],
        },
      },
      { body: { count: 0, next: null, previous: null, results: [] } },
    ]);
    stub.on('POST', '/api/v2/labels/', {
      status: 403,
      body: { detail: 'You do not have permission to perform this action.' },
    });
    const request = {
      extra_vars: { service_name: 'nginx' },
      idempotencyLabel: { name: 'snowline:run-1:restart', organization: 1 },
    };

    expect(await client().launch(7, request)).toMatchObject({ jobId: 42, labeled: true });
    expect(stub.calls('GET', '/api/v2/labels/')[0]!.query).toEqual({
      name: 'snowline:run-1:restart',
      organization: '1',
    });
    expect(stub.calls('POST', launchPath)[0]!.json).toEqual({ extra_vars: { service_name: 'nginx' }, labels: [5] });

    expect(await client().launch(7, request)).toMatchObject({ jobId: 42, labeled: false });
    expect(stub.calls('POST', '/api/v2/labels/')[0]!.json).toEqual({ name: 'snowline:run-1:restart', organization: 1 });
    expect(stub.calls('POST', launchPath)[1]!.json).toEqual({ extra_vars: { service_name: 'nginx' } });
  });

  it('creates a new idempotency label in one request; a label that already exists is read after the controller refuses it', async () => {
    const labelsAsked = { ...(fixture('awx', 'launch-prompts-open') as object), ask_labels_on_launch: true };
    stub.on('GET', launchPath, { body: labelsAsked });
    stub.on('POST', launchPath, { status: 201, body: fixture('awx', 'launch-created') });
    stub.on('POST', '/api/v2/labels/', [
      { status: 201, body: { id: 9, name: 'snowline:run-2:restart', organization: 1 } },
      { status: 400, body: { __all__: ['Label with this Name and Organization already exists.'] } },
    ]);
    stub.on('GET', '/api/v2/labels/', {
      body: {
        count: 1,
        next: null,
        previous: null,
        results: [{ id: 9, name: 'snowline:run-2:restart', organization: 1 }],
      },
    });
    const request = { idempotencyLabel: { name: 'snowline:run-2:restart', organization: 1 } };

    await client().launch(7, request);
    expect(stub.calls('GET', '/api/v2/labels/')).toHaveLength(0);
    expect(stub.calls('POST', launchPath)[0]!.json).toEqual({ labels: [9] });

    await client().launch(7, request);
    expect(stub.calls('GET', '/api/v2/labels/')).toHaveLength(1);
    expect(stub.calls('POST', launchPath)[1]!.json).toEqual({ labels: [9] });
  });

  it('launches of one template at the same moment read its launch prompts once; a caller that gives up does not cancel the read for the others', async () => {
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    stub.on('GET', launchPath, async () => {
      await answered;
      return { body: fixture('awx', 'launch-prompts-open') };
    });
    stub.on('POST', launchPath, { status: 201, body: fixture('awx', 'launch-created') });
    const c = client();
    const gaveUp = new AbortController();
    const launches = [
      c.launch(7, { limit: 'web01' }),
      c.launch(7, { limit: 'web02' }),
      c.launch(7, { limit: 'web03' }, { signal: gaveUp.signal }),
    ];
    await eventuallyTrue(() => stub.calls('GET', launchPath).length === 1);
    gaveUp.abort();
    await expect(launches[2]).rejects.toMatchObject({ code: 'ansible.unavailable', failure: 'transient' });
    answer();
    await Promise.all(launches.slice(0, 2));
    expect(stub.calls('GET', launchPath)).toHaveLength(1);
    expect(stub.calls('POST', launchPath).map((r) => (r.json as { limit: string }).limit)).toEqual(['web01', 'web02']);
  });

  it('launches of one template within templateCacheMs find it and read its launch prompts once; later ones read them again', async () => {
    const listPath = '/api/v2/job_templates/';
    stub.on('GET', listPath, { body: fixture('awx', 'job-templates-one') });
    stub.on('GET', launchPath, { body: fixture('awx', 'launch-prompts-open') });
    stub.on('POST', launchPath, { status: 201, body: fixture('awx', 'launch-created') });
    let now = Date.parse('2026-12-05T10:00:00Z');
    const c = new ControllerClient({ url: stub.url, token: 'awx-token-1', templateCacheMs: 5000 }, { now: () => now });
    clients.push(c);
    const launchByName = async (limit: string) => c.launch((await c.findJobTemplate('Restart service')).id, { limit });

    await launchByName('web01');
    now += 4_999;
    await launchByName('web02');
    expect(stub.calls('GET', listPath)).toHaveLength(1);
    expect(stub.calls('GET', launchPath)).toHaveLength(1);
    now += 1;
    await launchByName('web03');
    expect(stub.calls('GET', listPath)).toHaveLength(2);
    expect(stub.calls('GET', launchPath)).toHaveLength(2);
    expect(stub.calls('POST', launchPath)).toHaveLength(3);
  });

  it('with templateCacheMs 0, every launch reads the launch prompts', async () => {
    stub.on('GET', launchPath, { body: fixture('awx', 'launch-prompts-open') });
    stub.on('POST', launchPath, { status: 201, body: fixture('awx', 'launch-created') });
    const c = client({ templateCacheMs: 0 });
    await c.launch(7, { limit: 'web01' });
    await c.launch(7, { limit: 'web02' });
    expect(stub.calls('GET', launchPath)).toHaveLength(2);
  });

  it('leaves empty prompt fields out of the launch body', async () => {
    stub.on('GET', launchPath, { body: fixture('awx', 'launch-prompts-no-limit') });
    stub.on('POST', launchPath, { status: 201, body: fixture('awx', 'launch-created') });
    await client().launch(7, { extra_vars: {}, credentials: [], labels: [] });
    expect(stub.calls('POST', launchPath)[0]!.json).toEqual({});
  });

  it('REFUSES a limit the template would silently ignore (ask_limit_on_launch false): nothing is launched', async () => {
    stub.on('GET', launchPath, { body: fixture('awx', 'launch-prompts-no-limit') });
    stub.on('POST', launchPath, { status: 201, body: fixture('awx', 'launch-created') });
    const err = await caught(client().launch(7, { extra_vars: { service_name: 'nginx' }, limit: 'web01.example.com' }));
    expect(err).toMatchObject({ code: 'ansible.prompt_disabled', failure: 'permanent' });
    expect(err.message).toContain('ask_limit_on_launch');
    expect(stub.calls('POST', launchPath)).toHaveLength(0);
  });

  it('with a survey: reads the survey spec and refuses variables outside it', async () => {
    stub.on('GET', launchPath, { body: fixture('awx', 'launch-prompts-survey') });
    stub.on('GET', '/api/v2/job_templates/7/survey_spec/', { body: fixture('awx', 'survey-spec') });
    const err = await caught(
      client().launch(7, { extra_vars: { service_name: 'nginx', snowline: { idempotency_key: 'k' } } }),
    );
    expect(err).toMatchObject({ code: 'ansible.prompt_disabled' });
    expect(err.message).toMatch(/extra_vars snowline .*ask_variables_on_launch/);
    expect(stub.calls('POST', launchPath)).toHaveLength(0);
  });

  it('a 201 listing ignored_fields: the job started without them — it is cancelled and reported', async () => {
    stub.on('GET', launchPath, { body: fixture('awx', 'launch-prompts-open') });
    stub.on('POST', launchPath, { status: 201, body: fixture('awx', 'launch-created-ignored') });
    stub.on('POST', '/api/v2/jobs/43/cancel/', { status: 202, body: '' });
    const err = await caught(client().launch(7, { limit: 'web01.example.com' }));
    expect(err).toMatchObject({ code: 'ansible.fields_ignored', failure: 'permanent' });
    expect(err.message).toMatch(/controller job 43 STARTED without limit .*cancelled/);
    expect(err.details).toMatchObject({ jobId: 43, canceled: true, ignoredFields: { limit: 'web01.example.com' } });
    expect(stub.calls('POST', '/api/v2/jobs/43/cancel/')).toHaveLength(1);
  });

  it('a launch whose connection breaks after sending is ambiguous and is not repeated', async () => {
    stub.on('GET', launchPath, { body: fixture('awx', 'launch-prompts-open') });
    stub.on('POST', launchPath, { hangUp: true });
    expect(await caught(client().launch(7, { limit: 'web01' }))).toMatchObject({
      code: 'ansible.ambiguous',
      failure: 'ambiguous',
    });
    stub.on('POST', launchPath, { status: 500, body: 'Server Error' });
    expect(await caught(client().launch(7, { limit: 'web01' }))).toMatchObject({ code: 'ansible.ambiguous' });
    expect(stub.calls('POST', launchPath)).toHaveLength(2);
  });

  it('a 400 (survey validation) is permanent with the controller message', async () => {
    stub.on('GET', launchPath, { body: fixture('awx', 'launch-prompts-open') });
    stub.on('POST', launchPath, { status: 400, body: { variables_needed_to_start: ["'service_name' value missing"] } });
    const err = await caught(client().launch(7, { limit: 'web01' }));
    expect(err).toMatchObject({ code: 'ansible.bad_request', failure: 'permanent' });
    expect(err.message).toContain("'service_name' value missing");
  });
});

describe('jobs', () => {
  it('getJob; getJobs batches with id__in and page_size', async () => {
    stub.on('GET', '/api/v2/jobs/42/', { body: fixture('awx', 'job-running') });
    stub.on('GET', '/api/v2/jobs/', { body: fixture('awx', 'jobs-batch') });
    const c = client();
    expect((await c.getJob(42)).status).toBe('running');
    const jobs = await c.getJobs([42, 44, 42]);
    expect(jobs.map((j) => j.id)).toEqual([42, 44]);
    expect(stub.requests[1]!.query).toEqual({ id__in: '42,44', page_size: '2' });
  });

  it('GETs are retried on 502 and network errors', async () => {
    stub.on('GET', '/api/v2/jobs/42/', [
      { status: 502, body: '<html>Bad Gateway</html>' },
      { hangUp: true },
      { body: fixture('awx', 'job-running') },
    ]);
    expect((await client().getJob(42)).id).toBe(42);
    expect(stub.requests).toHaveLength(3);
    expect(waits).toEqual([375, 750]);
  });

  it('404 and 401 are permanent', async () => {
    stub.on('GET', '/api/v2/jobs/99/', { status: 404, body: fixture('awx', 'error-not-found') });
    stub.on('GET', '/api/v2/jobs/98/', { status: 401, body: fixture('awx', 'error-auth') });
    expect(await caught(client().getJob(99))).toMatchObject({ code: 'ansible.not_found', failure: 'permanent' });
    expect(await caught(client().getJob(98))).toMatchObject({ code: 'ansible.auth', failure: 'permanent' });
    expect(stub.requests).toHaveLength(2);
  });

  it('jobStdout reads format=txt', async () => {
    stub.on('GET', '/api/v2/jobs/42/stdout/', {
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: textFixture('awx', 'job-42-stdout.txt'),
    });
    const out = await client().jobStdout(42);
    expect(stub.requests[0]!.query).toEqual({ format: 'txt' });
    expect(out.truncated).toBe(false);
    expect(out.text).toContain('PLAY RECAP');
  });

  it('jobStdout falls back to txt_download when the output is too large to display, keeping the tail', async () => {
    const big = `${'x'.repeat(3000)}\nPLAY RECAP\nweb01 : ok=1\n`;
    stub.on('GET', '/api/v2/jobs/42/stdout/', (req): StubResponse =>
      req.query.format === 'txt_download'
        ? {
            headers: { 'Content-Type': 'text/plain', 'Content-Disposition': 'attachment; filename="job_42.txt"' },
            body: big,
          }
        : {
            headers: { 'Content-Type': 'text/plain' },
            body: 'Standard Output too large to display (2097152 bytes), only download supported for sizes over 1048576 bytes.',
          },
    );
    const out = await client().jobStdout(42, { maxBytes: 100 });
    expect(stub.requests.map((r) => r.query.format)).toEqual(['txt', 'txt_download']);
    expect(out.truncated).toBe(true);
    expect(out.text.endsWith('PLAY RECAP\nweb01 : ok=1\n')).toBe(true);
    expect(Buffer.byteLength(out.text)).toBeLessThanOrEqual(100);
  });

  it('cancelJob: 202 → true, 405 (already finished) → false', async () => {
    stub.on('POST', '/api/v2/jobs/42/cancel/', [
      { status: 202, body: '' },
      { status: 405, body: fixture('awx', 'error-cancel-405') },
    ]);
    const c = client();
    expect(await c.cancelJob(42)).toBe(true);
    expect(await c.cancelJob(42)).toBe(false);
  });

  it('findJobsByTemplateSince filters by template and creation time, newest first', async () => {
    stub.on('GET', '/api/v2/jobs/', { body: fixture('awx', 'jobs-by-template') });
    const jobs = await client().findJobsByTemplateSince(7, '2025-03-03T10:12:00.000Z');
    expect(stub.requests[0]!.query).toEqual({
      job_template: '7',
      created__gte: '2025-03-03T10:12:00.000Z',
      order_by: '-created',
      page_size: '200',
      page: '1',
    });
    expect(jobs.map((j) => j.id)).toEqual([44, 42, 40]);
  });
});

describe('TLS with a custom CA', () => {
  const tls = path.resolve(__dirname, '../../fixtures/awx/tls');

  it('trusts the configured CA (path or PEM text) and refuses the server without it', async () => {
    const server = https.createServer(
      { key: readFileSync(path.join(tls, 'server-key.pem')), cert: readFileSync(path.join(tls, 'server.pem')) },
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(fixture('awx', 'job-running')));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await client({ url, caFile: path.join(tls, 'ca.pem') }).getJob(42)).id).toBe(42);
      expect((await client({ url, caFile: readFileSync(path.join(tls, 'ca.pem'), 'utf8') }).getJob(42)).id).toBe(42);
      const err = await caught(client({ url, retry: { maxAttempts: 1 } }).getJob(42));
      expect(err.code).toBe('ansible.unavailable');
      expect(err.message).toMatch(/certificate/i);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

async function eventuallyTrue(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
