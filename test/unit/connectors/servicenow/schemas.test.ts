import { ConnectorError } from '../../../../src/errors';
import {
  asBool,
  asDateTime,
  asInt,
  queryValue,
  rawValue,
  serviceNowConfigSchema,
  toDateTime,
  toWire,
  wire,
} from '../../../../connectors/servicenow/schemas';
import record from '../../../fixtures/servicenow/table-incident-get.json';
import displayAll from '../../../fixtures/servicenow/table-incident-get-display-all.json';

describe('ServiceNow value readers', () => {
  const r = record.result;

  it('reads the string-encoded values of a real-shaped record', () => {
    expect(asInt(r.sys_mod_count)).toBe(4);
    expect(asInt(r.priority)).toBe(1);
    expect(asBool(r.active)).toBe(true);
    expect(asDateTime(r.sys_updated_on)?.toISOString()).toBe('2016-01-22T14:28:24.000Z');
    // durations are date-times offset from the epoch (137 s here)
    expect(asDateTime(r.business_duration)?.getTime()).toBe(137_000);
  });

  it('treats empty fields as absent, not as 0 or false', () => {
    expect(asInt('')).toBeUndefined();
    expect(asBool('')).toBeUndefined();
    expect(asDateTime(r.close_code)).toBeUndefined();
    expect(asInt(undefined)).toBeUndefined();
  });

  it('reads the value member of display_value=all and reference objects', () => {
    const d = displayAll.result;
    expect(asInt(d.sys_mod_count)).toBe(4);
    expect(rawValue(d.state)).toBe('2');
    expect(rawValue(d.caller_id)).toBe('681ccaf9c0a8016400b98a06818d57c7');
  });

  it('refuses values that are not what the reader expects', () => {
    expect(() => asInt('3.5')).toThrow(ConnectorError);
    expect(() => asInt('four')).toThrow(/expected an integer/);
    expect(() => asBool('yes')).toThrow(/true or false/);
    expect(() => asDateTime('2016-01-22T14:28:24Z')).toThrow(/yyyy-MM-dd HH:mm:ss/);
    expect(() => asDateTime('2016-02-30 10:00:00')).toThrow(/valid date-time/);
    try {
      asInt('x');
    } catch (err) {
      expect((err as ConnectorError).code).toBe('servicenow.invalid_value');
      expect((err as ConnectorError).failure).toBe('permanent');
    }
  });

  it('writes dates as raw UTC date-times and values as wire strings', () => {
    expect(toDateTime(new Date('2025-01-02T03:04:05.678Z'))).toBe('2025-01-02 03:04:05');
    expect(toDateTime(asDateTime('2024-12-31 23:59:59')!)).toBe('2024-12-31 23:59:59');
    expect(toWire(3)).toBe('3');
    expect(toWire(true)).toBe('true');
    expect(toWire(null)).toBe('');
    expect(toWire('6')).toBe('6');
    expect(() => toWire(Number.NaN)).toThrow(/finite/);
  });

  it('offers zod schemas for result shapes', () => {
    expect(wire.int.parse('12')).toBe(12);
    expect(wire.int.safeParse('').success).toBe(false);
    expect(wire.dateTime.parse('2025-01-01 00:00:00')).toEqual(new Date(Date.UTC(2025, 0, 1)));
    expect(wire.dateTime.safeParse('yesterday').success).toBe(false);
  });
});

describe('queryValue', () => {
  it('passes values that cannot change an encoded query', () => {
    expect(queryValue('web01 is down')).toBe('web01 is down');
    expect(queryValue(42)).toBe('42');
    expect(queryValue('2025-01-01 00:00:00')).toBe('2025-01-01 00:00:00');
  });

  it('refuses ^ (the condition separator, which cannot be escaped) and line breaks', () => {
    for (const bad of ['x^active=false', 'a^ORb', '^NQsys_id!=x', 'line\nbreak', 'cr\rx']) {
      expect(() => queryValue(bad)).toThrow(ConnectorError);
    }
    try {
      queryValue('abc^ORactive=true');
    } catch (err) {
      expect((err as ConnectorError).code).toBe('servicenow.bad_query_value');
      expect((err as ConnectorError).failure).toBe('permanent');
    }
  });
});

describe('ServiceNow config schema', () => {
  const base = { url: 'https://acme.service-now.com' };

  it('applies documented defaults', () => {
    const c = serviceNowConfigSchema.parse({ ...base, auth: { type: 'basic', username: 'u', password: 'p' } });
    expect(c).toMatchObject({
      maxConcurrent: 4,
      timeoutMs: 30000,
      attachmentMaxBytes: 5 * 1024 * 1024,
      extraHeaders: {},
    });
    expect(c.requestsPerHour).toBeUndefined();
    expect(c.retry.maxAttempts).toBeGreaterThan(1);
  });

  it('accepts each auth strategy', () => {
    for (const auth of [
      { type: 'basic', username: 'u', password: 'p' },
      { type: 'oauth', grant: 'password', clientId: 'c', clientSecret: 's', username: 'u', password: 'p' },
      { type: 'oauth', grant: 'client_credentials', clientId: 'c', clientSecret: 's' },
      { type: 'oauth', grant: 'refresh_token', clientId: 'c', clientSecret: 's', refreshToken: 'r' },
      { type: 'api_key', apiKey: 'k' },
      { type: 'bearer', token: 't' },
    ]) {
      expect(serviceNowConfigSchema.safeParse({ ...base, auth }).success).toBe(true);
    }
  });

  it('refuses incomplete or unknown auth', () => {
    const bad = [
      { type: 'oauth', grant: 'password', clientId: 'c', clientSecret: 's' },
      { type: 'oauth', grant: 'refresh_token', clientId: 'c', clientSecret: 's' },
      { type: 'basic', username: 'u' },
      { type: 'kerberos' },
      { type: 'basic', username: 'u', password: '' },
    ];
    for (const auth of bad) expect(serviceNowConfigSchema.safeParse({ ...base, auth }).success).toBe(false);
    expect(serviceNowConfigSchema.safeParse({ url: 'not a url', auth: { type: 'bearer', token: 't' } }).success).toBe(
      false,
    );
  });
});
