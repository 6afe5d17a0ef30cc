import Bottleneck from 'bottleneck';
import { ConnectorError, HourlyLimitError } from '../../../src/errors';
import { inSpan, startTracing } from '../../../src/observability/tracing';
import { traceIdOf } from '../../../src/observability/trace-ids';
import { createHttpTransport, networkFailure, type HttpTransport } from '../../../connectors/transport';
import { startStub, type Stub } from './stub-server';

interface Facts {
  method: string;
  idempotent: boolean;
}

/** The wording a connector would give: here the shared verdict, with the network code in the message. */
function networkError(error: unknown, facts: Facts): ConnectorError {
  const verdict = networkFailure(error, facts.idempotent);
  return new ConnectorError('test', verdict.failure, verdict.code, `${facts.method}: ${verdict.networkCode}`, {
    details: { networkCode: verdict.networkCode, notSent: verdict.notSent },
  });
}

const GET: Facts = { method: 'GET', idempotent: true };
const POST: Facts = { method: 'POST', idempotent: false };

describe('the connectors’ HTTP transport', () => {
  let stub: Stub;
  const transports: HttpTransport<Facts>[] = [];
  const transport = (options: Partial<Parameters<typeof createHttpTransport<Facts>>[0]> = {}) => {
    const made = createHttpTransport<Facts>({
      connector: 'test',
      baseUrl: stub.url,
      timeoutMs: 2000,
      networkError,
      ...options,
    });
    transports.push(made);
    return made;
  };

  beforeEach(async () => {
    stub = await startStub();
  });
  afterEach(async () => {
    for (const t of transports.splice(0)) t.close();
    await stub.close();
  });

  it('returns every status as an answer, follows no redirect, and sends default headers under the request’s own', async () => {
    stub.on('GET', '/moved', { status: 302, headers: { Location: '/login' }, body: 'go away' });
    stub.on('GET', '/missing', { status: 404, body: { error: 'nope' } });
    const t = transport({ headers: { 'X-Tenant': 'a', Accept: 'text/plain' } });
    const moved = await t.send({ method: 'GET', url: '/moved', headers: { Accept: 'application/json' } }, GET);
    expect(moved.status).toBe(302);
    const missing = await t.send({ method: 'GET', url: '/missing' }, GET);
    expect([missing.status, missing.data]).toEqual([404, { error: 'nope' }]);
    expect(stub.calls('GET', '/login')).toHaveLength(0);
    expect(stub.requests[0]!.headers).toMatchObject({ 'x-tenant': 'a', accept: 'application/json' });
  });

  it('times out an answer slower than timeoutMs: transient for a GET, ambiguous for a POST', async () => {
    stub.on('GET', '/slow', () => new Promise((resolve) => setTimeout(() => resolve({ body: 'late' }), 1500)));
    stub.on('POST', '/slow', () => new Promise((resolve) => setTimeout(() => resolve({ body: 'late' }), 1500)));
    const t = transport({ timeoutMs: 200 });
    const started = Date.now();
    const get = await t.send({ method: 'GET', url: '/slow' }, GET).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1200);
    expect(get).toMatchObject({ failure: 'transient', details: { networkCode: 'ETIMEDOUT', notSent: false } });
    const post = await t.send({ method: 'POST', url: '/slow', data: {} }, POST).catch((e: unknown) => e);
    expect(post).toMatchObject({ failure: 'ambiguous', code: 'test.ambiguous' });
  });

  it('a refused connection was not sent: transient even for a POST', async () => {
    const t = transport({ baseUrl: 'http://127.0.0.1:1' });
    const err = await t.send({ method: 'POST', url: '/x', data: {} }, POST).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: 'transient', details: { networkCode: 'ECONNREFUSED', notSent: true } });
  });

  it('goes through the limiter: its refusal is transient and not sent; a spent hourly budget comes through as it is', async () => {
    stub.on('GET', '/x', { body: 'ok' });
    const broken = transport({ limiter: { schedule: () => Promise.reject(new Error('Redis is gone')) } });
    const refused = await broken.send({ method: 'POST', url: '/x' }, POST).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'test.unavailable',
      failure: 'transient',
      details: { method: 'POST', notSent: true },
    });
    const spent = new HourlyLimitError('stub', 10, Date.now() + 60_000, 'test');
    const budget = transport({ limiter: { schedule: () => Promise.reject(spent) } });
    await expect(budget.send({ method: 'GET', url: '/x' }, GET)).rejects.toBe(spent);
    expect(stub.requests).toHaveLength(0);
  });

  it('counts each attempt handed to the network, and holds to the limiter’s concurrency', async () => {
    let inFlight = 0;
    let most = 0;
    stub.on('GET', '/x', async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 50));
      inFlight--;
      return { body: 'ok' };
    });
    let sent = 0;
    const limiter = new Bottleneck({ maxConcurrent: 1 });
    const t = transport({ limiter, onRequestSent: () => sent++ });
    await Promise.all([1, 2, 3].map(() => t.send({ method: 'GET', url: '/x' }, GET)));
    expect([sent, most]).toEqual([3, 1]);
  });

  it('judges an attempt: 2xx is the value; a failure says whether the client may send it again', async () => {
    stub.on('GET', '/ok', { body: { result: 1 } });
    stub.on('POST', '/busy', { status: 429 });
    stub.on('POST', '/broken', { status: 500 });
    const t = transport();
    const asError = (res: { status: number }) =>
      new ConnectorError('test', res.status === 429 ? 'transient' : 'ambiguous', 'x', `HTTP ${res.status}`, {
        details: { notSent: res.status === 429 },
      });
    const ok = await t.attempt({ method: 'GET', url: '/ok' }, GET, true, asError);
    expect(ok).toMatchObject({ ok: true, value: { status: 200, data: { result: 1 } } });
    expect(await t.attempt({ method: 'POST', url: '/busy' }, POST, false, asError)).toMatchObject({
      ok: false,
      safeToRepeat: true,
    });
    expect(await t.attempt({ method: 'POST', url: '/broken' }, POST, false, asError)).toMatchObject({
      ok: false,
      safeToRepeat: false,
      error: { message: 'HTTP 500' },
    });
    const refused = transport({ baseUrl: 'http://127.0.0.1:1' });
    expect(await refused.attempt({ method: 'POST', url: '/x' }, POST, false, asError)).toMatchObject({
      ok: false,
      safeToRepeat: true,
      error: { details: { networkCode: 'ECONNREFUSED' } },
    });
  });

  it('sends the W3C trace context of the span it was called in, even when the limiter runs it later', async () => {
    const tracing = startTracing({ enabled: true, serviceName: 'transport-test' });
    try {
      stub.on('GET', '/x', async () => {
        await new Promise((r) => setTimeout(r, 50));
        return { body: 'ok' };
      });
      const t = transport({ limiter: new Bottleneck({ maxConcurrent: 1 }) });
      await Promise.all(
        ['corr-a', 'corr-b'].map((correlationId) =>
          inSpan('step', { correlationId }, () => t.send({ method: 'GET', url: '/x' }, GET)),
        ),
      );
      const traceIds = stub.requests.map((r) => String(r.headers.traceparent).split('-')[1]);
      expect(traceIds).toEqual([traceIdOf('corr-a'), traceIdOf('corr-b')]);
    } finally {
      await tracing.stop();
    }
  });
});
