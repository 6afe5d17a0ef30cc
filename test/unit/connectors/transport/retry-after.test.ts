import { headerText, retryAfterMs } from '../../../../connectors/transport';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('retryAfterMs', () => {
  it('reads delay-seconds, fractions rounded up to the millisecond', () => {
    expect(retryAfterMs('7', NOW)).toBe(7000);
    expect(retryAfterMs(' 0 ', NOW)).toBe(0);
    expect(retryAfterMs('1.5', NOW)).toBe(1500);
    expect(retryAfterMs('0.0004', NOW)).toBe(1);
  });

  it('reads an HTTP-date as the time left until it, and a date already past as no wait', () => {
    expect(retryAfterMs(new Date(NOW + 42_000).toUTCString(), NOW)).toBe(42_000);
    expect(retryAfterMs('Thu, 15 Jan 2026 12:02:00 GMT', NOW)).toBe(120_000);
    expect(retryAfterMs(new Date(NOW - 5_000).toUTCString(), NOW)).toBe(0);
  });

  it('says nothing for a missing header or one that is neither form', () => {
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
    expect(retryAfterMs(null, NOW)).toBeUndefined();
    expect(retryAfterMs('', NOW)).toBeUndefined();
    expect(retryAfterMs('soon', NOW)).toBeUndefined();
    // Date.parse would take these for dates in some year.
    expect(retryAfterMs('-1', NOW)).toBeUndefined();
    expect(retryAfterMs('1.5.2', NOW)).toBeUndefined();
  });

  it('takes the first of repeated headers', () => {
    expect(retryAfterMs(['3', '9'], NOW)).toBe(3000);
  });
});

describe('headerText', () => {
  it('finds a header by its lower-case name and gives the first of repeated values', () => {
    const headers = { 'x-ratelimit-limit': 100, 'set-cookie': ['a=1', 'b=2'] };
    expect(headerText(headers, 'X-RateLimit-Limit')).toBe('100');
    expect(headerText(headers, 'set-cookie')).toBe('a=1');
    expect(headerText(headers, 'retry-after')).toBeUndefined();
  });
});
