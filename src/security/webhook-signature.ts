import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of the signed webhook (docs/security.md, Webhook). */
export const TIMESTAMP_HEADER = 'x-snowline-timestamp';
export const SIGNATURE_HEADER = 'x-snowline-signature';
/** A delivery older or newer than this is refused as a possible replay. */
export const DEFAULT_REPLAY_WINDOW_SECONDS = 300;

/** The signed string: `<unix seconds>.<raw body bytes>`, exactly as received. */
function mac(secret: string, timestamp: string, rawBody: Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

/** Signs a delivery as the Business Rule does; returns the two header values. */
export function signWebhook(secret: string, rawBody: Buffer | string, nowSeconds = Math.floor(Date.now() / 1000)) {
  const timestamp = String(nowSeconds);
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
  return { timestamp, signature: `sha256=${mac(secret, timestamp, body).toString('hex')}` };
}

export type SignatureVerdict =
  /** `digest`: the signature's bytes as decoded, the same however the header spelled them (hex case, Base64). */
  | { ok: true; digest: Buffer }
  | { ok: false; reason: 'missing_headers' | 'bad_timestamp' | 'outside_window' | 'malformed_signature' | 'mismatch' };

/**
 * Checks `X-Snowline-Signature: sha256=<digest>` against the raw body. The digest may be hex (our
 * default) or Base64, because ServiceNow's `CertificateEncryption.generateMac` yields Base64.
 * The comparison is constant-time; the timestamp must be inside the replay window.
 */
export function verifyWebhook(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  rawBody: Buffer,
  options: { nowSeconds?: number; windowSeconds?: number } = {},
): SignatureVerdict {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.windowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS)) {
    return { ok: false, reason: 'outside_window' };
  }
  const presented = decodeDigest(signature);
  if (!presented) return { ok: false, reason: 'malformed_signature' };
  const expected = mac(secret, timestamp, rawBody);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected))
    return { ok: false, reason: 'mismatch' };
  return { ok: true, digest: presented };
}

/** `sha256=<64 hex>` or `sha256=<44 Base64>` → the 32 digest bytes; anything else → undefined. */
function decodeDigest(header: string): Buffer | undefined {
  const match = /^sha256=(.+)$/.exec(header.trim());
  const digest = match?.[1];
  if (!digest) return undefined;
  if (/^[0-9a-f]{64}$/i.test(digest)) return Buffer.from(digest, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(digest)) return Buffer.from(digest, 'base64');
  return undefined;
}
