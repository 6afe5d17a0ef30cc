import { networkFailure, NOT_SENT_CODES, statusFailure } from '../../../../connectors/transport';

function netError(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}

describe('statusFailure', () => {
  it('401, 403, 404 and other 4xx are permanent whatever the method', () => {
    for (const idempotent of [true, false]) {
      expect(statusFailure(401, idempotent)).toEqual({ failure: 'permanent', code: 'auth', notSent: false });
      expect(statusFailure(403, idempotent).code).toBe('forbidden');
      expect(statusFailure(404, idempotent).code).toBe('not_found');
      expect(statusFailure(400, idempotent)).toEqual({ failure: 'permanent', code: 'bad_request', notSent: false });
      expect(statusFailure(409, idempotent).failure).toBe('permanent');
    }
  });

  it('429 is transient and was turned away before it ran, so even a POST may be repeated', () => {
    expect(statusFailure(429, false)).toEqual({ failure: 'transient', code: 'rate_limited', notSent: true });
  });

  it('5xx is transient for an idempotent request, ambiguous for another, except 503 (not taken)', () => {
    expect(statusFailure(500, true)).toEqual({ failure: 'transient', code: 'unavailable', notSent: false });
    expect(statusFailure(502, false)).toEqual({ failure: 'ambiguous', code: 'ambiguous', notSent: false });
    expect(statusFailure(504, false).failure).toBe('ambiguous');
    expect(statusFailure(503, false)).toEqual({ failure: 'transient', code: 'unavailable', notSent: false });
  });
});

describe('networkFailure', () => {
  it('a request that never left is transient and not sent, whatever the method', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'CERT_HAS_EXPIRED'])
      expect(networkFailure(netError(code), false)).toEqual({
        failure: 'transient',
        code: 'unavailable',
        networkCode: code,
        notSent: true,
      });
  });

  it('a timeout or reset after sending is transient for an idempotent request, ambiguous otherwise', () => {
    for (const code of ['ETIMEDOUT', 'ECONNRESET', 'ECONNABORTED']) {
      expect(networkFailure(netError(code), true)).toMatchObject({ failure: 'transient', notSent: false });
      expect(networkFailure(netError(code), false)).toMatchObject({ failure: 'ambiguous', code: 'ambiguous' });
    }
  });

  it('reads the code from the cause (undici), and calls an error without one UNKNOWN', () => {
    const wrapped = Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(networkFailure(wrapped, false).notSent).toBe(true);
    expect(networkFailure(new Error('boom'), false)).toMatchObject({ failure: 'ambiguous', networkCode: 'UNKNOWN' });
  });

  it("takes a connector's own not-sent codes", () => {
    const codes = new Set([...NOT_SENT_CODES, 'ERR_INVALID_URL']);
    expect(networkFailure(netError('ERR_INVALID_URL'), false).failure).toBe('ambiguous');
    expect(networkFailure(netError('ERR_INVALID_URL'), false, codes)).toMatchObject({
      failure: 'transient',
      notSent: true,
    });
  });
});
