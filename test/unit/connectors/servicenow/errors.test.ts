import { ConnectorError, SnowlineError, ValidationError } from '../../../../src/errors';
import {
  classifyError,
  errorFromNetwork,
  errorFromResponse,
  parseEnvelope,
  rateLimitWaitMs,
} from '../../../../connectors/servicenow/errors';
import { linkHasNext } from '../../../../connectors/servicenow/client';
import acl from '../../../fixtures/servicenow/error-acl.json';
import dataPolicy from '../../../fixtures/servicenow/error-data-policy.json';
import invalidTable from '../../../fixtures/servicenow/error-invalid-table.json';
import notFound from '../../../fixtures/servicenow/error-not-found.json';
import rateLimited from '../../../fixtures/servicenow/error-rate-limited.json';
import unauthenticated from '../../../fixtures/servicenow/error-unauthenticated.json';

const GET = { method: 'GET', path: '/api/now/table/incident/x', idempotent: true };
const PATCH = { method: 'PATCH', path: '/api/now/table/incident/x', idempotent: true };
const POST = { method: 'POST', path: '/api/now/table/incident', idempotent: false };

function netError(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}

describe('ServiceNow error envelope → ConnectorError', () => {
  it('parses the envelope (object or text)', () => {
    expect(parseEnvelope(notFound)).toEqual({
      message: 'No Record found',
      detail: "Record doesn't exist or ACL restricts the record retrieval",
    });
    expect(parseEnvelope(JSON.stringify(invalidTable))).toEqual({ message: 'Invalid table incidnt', detail: '' });
    expect(parseEnvelope('<html>login</html>')).toBeUndefined();
  });

  it.each([
    [404, notFound, 'servicenow.not_found', 'permanent'],
    [403, acl, 'servicenow.forbidden', 'permanent'],
    [403, dataPolicy, 'servicenow.data_policy', 'permanent'],
    [401, unauthenticated, 'servicenow.auth', 'permanent'],
    [400, invalidTable, 'servicenow.bad_request', 'permanent'],
    [415, '', 'servicenow.bad_request', 'permanent'],
    [500, '', 'servicenow.unavailable', 'transient'],
    [503, '', 'servicenow.unavailable', 'transient'],
  ])('HTTP %i → %s', (status, body, code, failure) => {
    const err = errorFromResponse(status, {}, body, PATCH);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err.code).toBe(code);
    expect(err.failure).toBe(failure);
    expect(err.retryable).toBe(failure !== 'permanent');
  });

  it('names the mandatory fields of a data-policy refusal', () => {
    const err = errorFromResponse(403, { 'x-transaction-id': 'f00' }, dataPolicy, PATCH);
    expect(err.details).toMatchObject({
      status: 403,
      mandatoryFields: ['Resolution code', 'Close notes'],
      transactionId: 'f00',
    });
    expect(err.message).toContain('Data Policy Exception');
  });

  it('429 with rate-limit headers: transient, retryAfterMs until X-RateLimit-Reset (by the server clock)', () => {
    const serverNow = Date.UTC(2025, 0, 1, 12, 0, 0);
    const headers = {
      date: new Date(serverNow).toUTCString(),
      'x-ratelimit-limit': '100',
      'x-ratelimit-reset': String(serverNow / 1000 + 42),
      'x-ratelimit-rule': 'd4b6a2a8c0a80164007e4e1f4f8b8a77',
      'retry-after': '40',
    };
    // the local clock is 10 minutes off: the Date header keeps the wait right
    const err = errorFromResponse(429, headers, rateLimited, GET, serverNow + 600_000);
    expect(err.code).toBe('servicenow.rate_limited');
    expect(err.failure).toBe('transient');
    expect(err.retryAfterMs).toBe(42_000);
    expect(err.details).toMatchObject({ limit: '100', rule: 'd4b6a2a8c0a80164007e4e1f4f8b8a77' });
  });

  it('429 with only Retry-After is rate_limited; without any rate-limit header it is queue_full', () => {
    expect(errorFromResponse(429, { 'retry-after': '3' }, rateLimited, GET).retryAfterMs).toBe(3000);
    const queueFull = errorFromResponse(429, {}, '', POST);
    expect(queueFull.code).toBe('servicenow.queue_full');
    expect(queueFull.failure).toBe('transient');
    expect(queueFull.retryAfterMs).toBeUndefined();
  });

  it('rateLimitWaitMs falls back to the local clock, never goes negative, and accepts HTTP dates', () => {
    const now = 1_700_000_000_000;
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': String(now / 1000 + 5) }, now)).toBe(5000);
    expect(rateLimitWaitMs({ 'x-ratelimit-reset': String(now / 1000 - 5) }, now)).toBe(0);
    expect(rateLimitWaitMs({ 'retry-after': new Date(now + 7000).toUTCString() }, now)).toBe(7000);
    expect(rateLimitWaitMs({}, now)).toBeUndefined();
  });

  it('5xx to a non-idempotent request is ambiguous (it may have been applied), except 503', () => {
    expect(errorFromResponse(500, {}, '', POST).failure).toBe('ambiguous');
    expect(errorFromResponse(504, {}, '', POST).code).toBe('servicenow.ambiguous');
    expect(errorFromResponse(503, {}, '', POST).failure).toBe('transient');
    expect(errorFromResponse(502, {}, '', GET).failure).toBe('transient');
  });
});

describe('network failures', () => {
  it('before sending: transient whatever the method', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']) {
      const err = errorFromNetwork(netError(code), POST);
      expect(err.code).toBe('servicenow.unavailable');
      expect(err.failure).toBe('transient');
    }
  });

  it('after sending: ambiguous for a non-idempotent request, transient for an idempotent one', () => {
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED']) {
      expect(errorFromNetwork(netError(code), POST).failure).toBe('ambiguous');
      expect(errorFromNetwork(netError(code), POST).code).toBe('servicenow.ambiguous');
      expect(errorFromNetwork(netError(code), GET).failure).toBe('transient');
    }
  });
});

describe('classify', () => {
  it('trusts ConnectorErrors, maps other errors by what can be known', () => {
    expect(classifyError(new ConnectorError('servicenow', 'ambiguous', 'ambiguous', 'x'))).toBe('ambiguous');
    expect(classifyError(new ConnectorError('servicenow', 'transient', 'rate_limited', 'x'))).toBe('transient');
    expect(classifyError(new ValidationError('params', [{ path: 'x', message: 'bad' }]))).toBe('permanent');
    expect(classifyError(new SnowlineError('x.y', 'retry me', { retryable: true }))).toBe('transient');
    expect(classifyError(netError('ECONNREFUSED'))).toBe('transient');
    expect(classifyError(netError('ECONNRESET'))).toBe('ambiguous');
    expect(classifyError(new TypeError('undefined is not a function'))).toBe('permanent');
  });
});

describe('Link header', () => {
  it('finds rel="next" among the members', () => {
    const base = 'https://x.service-now.com/api/now/table/incident?sysparm_limit=2';
    expect(
      linkHasNext(
        `<${base}&sysparm_offset=0>;rel="first",<${base}&sysparm_offset=2>;rel="next",<${base}&sysparm_offset=4>;rel="last"`,
      ),
    ).toBe(true);
    expect(
      linkHasNext(
        `<${base}&sysparm_offset=0>;rel="first",<${base}&sysparm_offset=2>;rel="prev",<${base}&sysparm_offset=4>;rel="last"`,
      ),
    ).toBe(false);
  });
});
