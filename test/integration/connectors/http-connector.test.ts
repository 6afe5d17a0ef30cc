import { readFileSync } from 'node:fs';
import jwt from 'jsonwebtoken';
import path from 'node:path';
import type { ActionContext, ActionHandler } from '../../../connectors/connector';
import { httpConfigSchema, httpConnector, signV4, type HttpConfigInput } from '../../../connectors/http';
import { ConnectorError } from '../../../src/errors';
import { silentLogger } from '../../../src/observability/logger';
import { rsaKeys } from '../../helpers/signed-tokens';
import { startStub, type RecordedRequest, type Stub } from './stub-server';

const NOW = Date.parse('2026-03-01T10:00:00Z');
const awsXml = (name: string) => readFileSync(path.join(__dirname, '../../fixtures/aws', name), 'utf8');

let stub: Stub;
beforeEach(async () => {
  stub = await startStub();
});
afterEach(() => stub.close());

function runtime(endpoints: HttpConfigInput['endpoints']) {
  return httpConnector.create(httpConfigSchema.parse({ endpoints }), {
    logger: silentLogger(),
    now: () => NOW,
  } as never);
}
function handler(endpoints: HttpConfigInput['endpoints'], action = 'request'): ActionHandler {
  return runtime(endpoints).actions[action]!;
}
function context(key = 'run-3:call'): ActionContext {
  return {
    idempotencyKey: key,
    runId: 'run-3',
    stepName: 'call',
    ticket: { table: 'incident', sysId: 'a'.repeat(32), number: 'INC0010002' },
    logger: silentLogger(),
    signal: new AbortController().signal,
  };
}
async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectorError);
  return err as ConnectorError;
}
const done = (p: unknown) => (p as { status: 'done'; result: any }).result;

describe('http.request', () => {
  it('sends method, path, query, JSON body, bearer auth and the idempotency key; maps the response', async () => {
    stub.on('POST', '/api/v1/firewall/rules', { status: 201, body: { data: { rule: { id: 'fw-9', state: 'open' } } } });
    const h = handler({
      fw: { baseUrl: `${stub.url}/api/v1`, auth: { type: 'bearer', token: 'tok-1' }, headers: { 'X-Team': 'ops' } },
    });
    const progress = await h.start(
      {
        endpoint: 'fw',
        method: 'POST',
        path: '/firewall/rules',
        query: { dry: false },
        headers: { 'X-Ticket': 'INC0010002' },
        body: { source: '10.0.0.0/24', note: "{{ lookup('pipe','id') }}" },
        success: { status: [201], check: { path: 'data.rule.state', equals: 'open' } },
        result: { rule_id: 'data.rule.id', missing: 'data.nope[0]' },
      },
      context(),
    );
    expect(done(progress)).toEqual({ status: 201, fields: { rule_id: 'fw-9', missing: null } });
    const req = stub.calls('POST', '/api/v1/firewall/rules')[0]!;
    expect(req.rawQuery).toBe('dry=false');
    expect(req.headers.authorization).toBe('Bearer tok-1');
    expect(req.headers['idempotency-key']).toBe('run-3:call');
    expect(req.headers['x-team']).toBe('ops');
    expect(req.headers['x-ticket']).toBe('INC0010002');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json).toEqual({ source: '10.0.0.0/24', note: "{{ lookup('pipe','id') }}" });
  });

  it('uses basic and API-key auth as configured', async () => {
    stub.on('GET', '/status', { body: { ok: true } });
    await handler({ a: { baseUrl: stub.url, auth: { type: 'basic', username: 'svc', password: 'pw:1' } } }).start(
      { endpoint: 'a', method: 'GET', path: '/status' },
      context(),
    );
    await handler({ b: { baseUrl: stub.url, auth: { type: 'api_key', header: 'X-Api-Key', value: 'k-123' } } }).start(
      { endpoint: 'b', method: 'GET', path: '/status' },
      context(),
    );
    const [basic, apiKey] = stub.calls('GET', '/status');
    expect(basic!.headers.authorization).toBe(`Basic ${Buffer.from('svc:pw:1').toString('base64')}`);
    expect(apiKey!.headers['x-api-key']).toBe('k-123');
    expect(apiKey!.headers.authorization).toBeUndefined();
  });

  it('fails a 2xx whose body does not pass the check, permanently', async () => {
    stub.on('GET', '/deploy', { body: { phase: 'Failed' } });
    const err = await failure(
      handler({ k: { baseUrl: stub.url } }).start(
        { endpoint: 'k', method: 'GET', path: '/deploy', success: { check: { path: 'phase', equals: 'Running' } } },
        context(),
      ),
    );
    expect(err.code).toBe('http.check_failed');
    expect(err.failure).toBe('permanent');
    expect(err.message).toContain('phase is "Failed", not "Running"');
  });

  describe('error classification', () => {
    const cases: Array<
      [string, { method: 'GET' | 'POST'; answer: Parameters<Stub['on']>[2]; idempotencyHeader?: null }, string, string]
    > = [
      [
        '404 is permanent',
        { method: 'GET', answer: { status: 404, body: { error: 'no such vm' } } },
        'permanent',
        'http.not_found',
      ],
      [
        '400 is permanent',
        { method: 'POST', answer: { status: 400, body: { error: 'bad' } } },
        'permanent',
        'http.bad_request',
      ],
      [
        '429 is transient',
        { method: 'POST', answer: { status: 429, headers: { 'Retry-After': '7' } }, idempotencyHeader: null },
        'transient',
        'http.unavailable',
      ],
      ['500 on a GET is transient', { method: 'GET', answer: { status: 500 } }, 'transient', 'http.unavailable'],
      [
        '500 on a POST with an idempotency key is transient',
        { method: 'POST', answer: { status: 500 } },
        'transient',
        'http.unavailable',
      ],
      [
        '500 on a POST without an idempotency key is ambiguous',
        { method: 'POST', answer: { status: 500 }, idempotencyHeader: null },
        'ambiguous',
        'http.ambiguous',
      ],
      [
        'connection reset after a POST without a key is ambiguous',
        { method: 'POST', answer: { hangUp: true }, idempotencyHeader: null },
        'ambiguous',
        'http.ambiguous',
      ],
      [
        'connection reset after a GET is transient',
        { method: 'GET', answer: { hangUp: true } },
        'transient',
        'http.unavailable',
      ],
    ];
    it.each(cases)('%s', async (_name, c, failureClass, code) => {
      stub.on(c.method, '/x', c.answer);
      const endpoint = { baseUrl: stub.url, ...(c.idempotencyHeader === null ? { idempotencyHeader: null } : {}) };
      const err = await failure(
        handler({ e: endpoint }).start(
          { endpoint: 'e', method: c.method, path: '/x', ...(c.method === 'POST' ? { body: {} } : {}) },
          context(),
        ),
      );
      expect(err.failure).toBe(failureClass);
      expect(err.code).toBe(code);
      expect(httpConnector.classify(err)).toBe(failureClass);
      if (code === 'http.unavailable' && c.answer && (c.answer as { status?: number }).status === 429)
        expect(err.retryAfterMs).toBe(7000);
    });

    it('a refused connection is transient (nothing was sent)', async () => {
      const url = stub.url;
      await stub.close();
      const err = await failure(
        handler({ e: { baseUrl: url } }).start({ endpoint: 'e', method: 'POST', path: '/x', body: {} }, context()),
      );
      expect(err.failure).toBe('transient');
      stub = await startStub();
    });
  });

  it('refuses bad parameters with the field and the reason, sending nothing', async () => {
    const h = handler({ e: { baseUrl: stub.url } });
    const bad = [
      [{ endpoint: 'e', method: 'GET', path: '/a/../admin' }, /path: must not contain \. or \.\. segments/],
      [{ endpoint: 'e', method: 'GET', path: '//evil.example/x' }, /path: must start with a single \//],
      [
        { endpoint: 'e', method: 'GET', path: '/a', headers: { Authorization: 'Bearer x' } },
        /headers: must not set Authorization/,
      ],
      [
        { endpoint: 'e', method: 'GET', path: '/a', headers: { 'X-A': 'a\r\nX-B: b' } },
        /headers\.X-A: must not contain line breaks/,
      ],
      [{ endpoint: 'nope', method: 'GET', path: '/a' }, /endpoint: "nope" is not configured \(known: e\)/],
      [{ endpoint: 'e', method: 'GET', path: '/a', result: { x: 'a..b' } }, /result\.x: response path "a\.\.b"/],
    ] as const;
    for (const [params, message] of bad) expect((await failure(h.start(params, context()))).message).toMatch(message);
    expect(stub.requests).toHaveLength(0);
  });
});

describe('OAuth2 client credentials against a local token endpoint', () => {
  const oauth = () => ({
    type: 'oauth2_client_credentials' as const,
    tokenUrl: `${stub.url}/tenant-1/oauth2/v2.0/token`,
    clientId: 'app-1',
    clientSecret: 's3cret',
    scope: 'https://management.azure.com/.default',
  });

  it('fetches a token with the client credentials grant, caches it, and fetches anew after a 401', async () => {
    let issued = 0;
    stub.on('POST', '/tenant-1/oauth2/v2.0/token', () => ({
      body: { token_type: 'Bearer', expires_in: 3599, access_token: `at-${++issued}` },
    }));
    stub.on('GET', '/vm', [
      { body: { ok: 1 } },
      { body: { ok: 2 } },
      { status: 401, body: { error: { code: 'InvalidAuthenticationToken' } } },
      { body: { ok: 4 } },
    ]);
    const h = handler({ azure: { baseUrl: stub.url, auth: oauth() } });
    const call = () => h.start({ endpoint: 'azure', method: 'GET', path: '/vm' }, context());
    await call();
    await call();
    const rejected = await failure(call());
    expect(rejected.code).toBe('http.token_rejected');
    expect(rejected.failure).toBe('transient');
    await call();

    const tokenCalls = stub.calls('POST', '/tenant-1/oauth2/v2.0/token');
    expect(tokenCalls).toHaveLength(2);
    expect(tokenCalls[0]!.form).toEqual({
      grant_type: 'client_credentials',
      client_id: 'app-1',
      client_secret: 's3cret',
      scope: 'https://management.azure.com/.default',
    });
    expect(stub.calls('GET', '/vm').map((r) => r.headers.authorization)).toEqual([
      'Bearer at-1',
      'Bearer at-1',
      'Bearer at-1',
      'Bearer at-2',
    ]);
  });

  it('an invalid_client answer is a permanent error that names the client, not the secret', async () => {
    stub.on('POST', '/tenant-1/oauth2/v2.0/token', {
      status: 401,
      body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' },
    });
    const err = await failure(
      handler({ azure: { baseUrl: stub.url, auth: oauth() } }).start(
        { endpoint: 'azure', method: 'GET', path: '/vm' },
        context(),
      ),
    );
    expect(err.code).toBe('http.token_endpoint');
    expect(err.failure).toBe('permanent');
    expect(err.message).toContain('app-1: invalid_client: AADSTS7000215');
    expect(err.message).not.toContain('s3cret');
    expect(stub.calls('GET', '/vm')).toHaveLength(0);
  });
});

describe('Google service-account JWT against a local token endpoint', () => {
  const keys = rsaKeys();
  const keyFile = () =>
    JSON.stringify({
      type: 'service_account',
      project_id: 'ops-1',
      private_key_id: 'kid-7',
      private_key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: 'snowline@ops-1.iam.gserviceaccount.com',
      token_uri: `${stub.url}/token`,
    });
  const google = () => ({
    type: 'google_service_account' as const,
    credentials: keyFile(),
    scopes: ['https://www.googleapis.com/auth/cloud-platform'],
  });

  it('posts a signed RS256 assertion (iss, scope, aud, an hour of validity) and uses the token it gets', async () => {
    stub.on('POST', '/token', (req) => {
      // What Google does: check the assertion's signature with the service account's public key.
      const claims = jwt.verify(req.form!.assertion!, keys.publicKey, {
        algorithms: ['RS256'],
        audience: `${stub.url}/token`,
        clockTimestamp: NOW / 1000,
      }) as jwt.JwtPayload;
      expect(claims).toMatchObject({
        iss: 'snowline@ops-1.iam.gserviceaccount.com',
        scope: 'https://www.googleapis.com/auth/cloud-platform',
        iat: NOW / 1000,
        exp: NOW / 1000 + 3600,
      });
      expect(jwt.decode(req.form!.assertion!, { complete: true })!.header.kid).toBe('kid-7');
      return { body: { access_token: 'ya29.sandbox', expires_in: 3599, token_type: 'Bearer' } };
    });
    stub.on('GET', '/compute/v1/projects/ops-1/zones/europe-west1-b/instances', { body: { items: [] } });
    const h = handler({ gcp: { baseUrl: stub.url, auth: google() } });
    await h.start(
      { endpoint: 'gcp', method: 'GET', path: '/compute/v1/projects/ops-1/zones/europe-west1-b/instances' },
      context(),
    );
    await h.start(
      { endpoint: 'gcp', method: 'GET', path: '/compute/v1/projects/ops-1/zones/europe-west1-b/instances' },
      context(),
    );
    const [token] = stub.calls('POST', '/token');
    expect(token!.form!.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(stub.calls('POST', '/token')).toHaveLength(1);
    expect(stub.calls('GET', /instances$/).map((r) => r.headers.authorization)).toEqual([
      'Bearer ya29.sandbox',
      'Bearer ya29.sandbox',
    ]);
  });

  it('a refused assertion is a permanent error naming the service account; a key file that is not one is refused at config time', async () => {
    stub.on('POST', '/token', {
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
    });
    const err = await failure(
      handler({ gcp: { baseUrl: stub.url, auth: google() } }).start(
        { endpoint: 'gcp', method: 'GET', path: '/x' },
        context(),
      ),
    );
    expect(err).toMatchObject({ code: 'http.token_endpoint', failure: 'permanent' });
    expect(err.message).toContain(
      'service account snowline@ops-1.iam.gserviceaccount.com: invalid_grant: Invalid JWT Signature.',
    );
    expect(err.message).not.toContain('PRIVATE KEY');
    const bad = httpConfigSchema.safeParse({
      endpoints: {
        gcp: {
          baseUrl: stub.url,
          auth: { ...google(), credentials: JSON.stringify({ type: 'authorized_user', client_email: 'a@b.c' }) },
        },
      },
    });
    expect(bad.success).toBe(false);
  });
});

describe('http.aws_ec2_instances against a local server standing in for EC2', () => {
  const aws = () => ({
    baseUrl: stub.url,
    auth: {
      type: 'aws_sigv4' as const,
      region: 'eu-west-1',
      service: 'ec2',
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    },
  });

  /** What EC2 does: recompute the signature from the request as received. */
  function verifySignature(req: RecordedRequest): void {
    const auth = String(req.headers.authorization);
    const signed = /SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth)!;
    const headers: Record<string, string> = {};
    for (const name of signed[1]!.split(';')) headers[name] = String(req.headers[name]);
    const expected = signV4({
      method: req.method,
      url: `http://${req.headers.host}${req.path}`,
      headers,
      body: req.body,
      region: 'eu-west-1',
      service: 'ec2',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      date: new Date(NOW),
    });
    expect(expected.signature).toBe(signed[2]);
  }

  it('reboots instances with a SigV4-signed RebootInstances Query API call', async () => {
    stub.on('POST', '/', {
      headers: { 'Content-Type': 'text/xml;charset=UTF-8' },
      body: awsXml('ec2-reboot-instances.xml'),
    });
    const progress = await handler({ ec2: aws() }, 'aws_ec2_instances').start(
      { endpoint: 'ec2', operation: 'reboot', instance_ids: ['i-1234567890abcdef0', 'i-0a1b2c3d4e5f60718'] },
      context(),
    );
    expect(done(progress)).toEqual({
      operation: 'RebootInstances',
      request_id: '59dbff89-35bd-4eac-99ed-be587EXAMPLE',
      instances: [
        { instance_id: 'i-1234567890abcdef0', previous_state: null, current_state: null },
        { instance_id: 'i-0a1b2c3d4e5f60718', previous_state: null, current_state: null },
      ],
    });
    const req = stub.calls('POST', '/')[0]!;
    expect(req.body.toString()).toBe(
      'Action=RebootInstances&Version=2016-11-15&InstanceId.1=i-1234567890abcdef0&InstanceId.2=i-0a1b2c3d4e5f60718',
    );
    expect(req.headers['x-amz-date']).toBe('20260301T100000Z');
    expect(String(req.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260301\/eu-west-1\/ec2\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    verifySignature(req);
  });

  it('reads the state changes of StopInstances', async () => {
    stub.on('POST', '/', { headers: { 'Content-Type': 'text/xml' }, body: awsXml('ec2-stop-instances.xml') });
    const progress = await handler({ ec2: aws() }, 'aws_ec2_instances').start(
      { endpoint: 'ec2', operation: 'stop', instance_ids: ['i-1234567890abcdef0'] },
      context(),
    );
    expect(done(progress).instances).toEqual([
      { instance_id: 'i-1234567890abcdef0', previous_state: 'running', current_state: 'stopping' },
    ]);
  });

  it('classifies EC2 error codes: unknown instance permanent, throttling transient, a reset retried', async () => {
    const h = handler({ ec2: aws() }, 'aws_ec2_instances');
    const params = { endpoint: 'ec2', operation: 'reboot', instance_ids: ['i-0a1b2c3d4e5f60718'] };
    stub.on('POST', '/', [
      { status: 400, headers: { 'Content-Type': 'text/xml' }, body: awsXml('ec2-error-not-found.xml') },
      { status: 503, headers: { 'Content-Type': 'text/xml' }, body: awsXml('ec2-error-throttled.xml') },
      { hangUp: true },
    ]);
    const notFound = await failure(h.start(params, context()));
    expect([notFound.failure, notFound.message]).toEqual([
      'permanent',
      "EC2 RebootInstances failed: InvalidInstanceID.NotFound The instance ID 'i-0a1b2c3d4e5f60718' does not exist",
    ]);
    expect((await failure(h.start(params, context()))).failure).toBe('transient');
    expect((await failure(h.start(params, context()))).failure).toBe('transient');
  });

  it('refuses ids that are not instance ids', async () => {
    const err = await failure(
      handler({ ec2: aws() }, 'aws_ec2_instances').start(
        { endpoint: 'ec2', operation: 'reboot', instance_ids: ['i-123; DROP'] },
        context(),
      ),
    );
    expect(err.message).toMatch(/instance_ids\.0: must be an EC2 instance id/);
    expect(stub.requests).toHaveLength(0);
  });
});
