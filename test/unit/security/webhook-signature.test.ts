import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from '../../../src/security/webhook-signature';

const secret = 'shared-secret-of-the-business-rule';
const body = Buffer.from('{"table":"incident","sys_id":"x"}');
const now = 1_800_000_000;

describe('webhook signature (HMAC-SHA256 over "<timestamp>.<raw body>")', () => {
  it('accepts what the Business Rule signs, in hex', () => {
    const { timestamp, signature } = signWebhook(secret, body, now);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook(secret, { timestamp, signature }, body, { nowSeconds: now })).toMatchObject({ ok: true });
  });

  it("accepts ServiceNow's Base64 form (CertificateEncryption.generateMac yields Base64)", () => {
    const b64 = createHmac('sha256', secret).update(`${now}.`).update(body).digest('base64');
    expect(
      verifyWebhook(secret, { timestamp: String(now), signature: `sha256=${b64}` }, body, { nowSeconds: now }),
    ).toMatchObject({ ok: true });
  });

  it('refuses a body changed by one byte, even with a valid-looking signature', () => {
    const { timestamp, signature } = signWebhook(secret, body, now);
    const tampered = Buffer.from(body.toString().replace('incident', 'incidenT'));
    expect(verifyWebhook(secret, { timestamp, signature }, tampered, { nowSeconds: now })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('refuses a signature made with another secret', () => {
    const { timestamp, signature } = signWebhook('another-secret', body, now);
    expect(verifyWebhook(secret, { timestamp, signature }, body, { nowSeconds: now })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('refuses a replay outside the 5-minute window, in either direction', () => {
    const { timestamp, signature } = signWebhook(secret, body, now);
    expect(verifyWebhook(secret, { timestamp, signature }, body, { nowSeconds: now + 301 })).toEqual({
      ok: false,
      reason: 'outside_window',
    });
    expect(verifyWebhook(secret, { timestamp, signature }, body, { nowSeconds: now - 301 })).toEqual({
      ok: false,
      reason: 'outside_window',
    });
    expect(verifyWebhook(secret, { timestamp, signature }, body, { nowSeconds: now + 299 })).toMatchObject({
      ok: true,
    });
  });

  it('names what is wrong with missing or malformed headers', () => {
    expect(verifyWebhook(secret, {}, body)).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verifyWebhook(secret, { timestamp: 'yesterday', signature: 'sha256=00' }, body)).toEqual({
      ok: false,
      reason: 'bad_timestamp',
    });
    expect(
      verifyWebhook(secret, { timestamp: String(now), signature: 'sha256=00ff' }, body, { nowSeconds: now }),
    ).toEqual({ ok: false, reason: 'malformed_signature' });
    expect(verifyWebhook(secret, { timestamp: String(now), signature: 'md5=abc' }, body, { nowSeconds: now })).toEqual({
      ok: false,
      reason: 'malformed_signature',
    });
  });
});
