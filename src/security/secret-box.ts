import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConfigError, SnowlineError } from '../errors';

/**
 * AES-256-GCM for the secrets Snowline must store (connector credentials added through the API).
 * A sealed value names the key that sealed it, so after a rotation the retired keys still open old
 * values while only the current key seals new ones; `snowline secrets rotate` re-seals the rest.
 * The caller's context (e.g. `connector:name`) is bound as additional data, so a sealed value
 * copied onto another row does not open.
 *
 * Format: `sb1.<key id>.<iv>.<tag>.<ciphertext>` (Base64url), key id = first 16 hex of SHA-256(key).
 */
export interface SecretBox {
  readonly currentKeyId: string;
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
  keyIdOf(sealed: string): string;
}

const PREFIX = 'sb1';
const IV_BYTES = 12;

/** `current` seals and opens; `previous` (retired keys) only open. Keys: 32 bytes as 64 hex or Base64. */
export function createSecretBox(keys: { current: string; previous?: readonly string[] }): SecretBox {
  const current = parseKey(keys.current, 'secrets.key');
  const ring = new Map<string, Buffer>();
  (keys.previous ?? []).forEach((text, i) => {
    const key = parseKey(text, `secrets.previousKeys[${i}]`);
    ring.set(keyId(key), key);
  });
  ring.set(keyId(current), current);
  const currentKeyId = keyId(current);

  return {
    currentKeyId,
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, iv).setAAD(Buffer.from(context));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [
        PREFIX,
        currentKeyId,
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        ciphertext.toString('base64url'),
      ].join('.');
    },
    open(sealed, context) {
      const { kid, iv, tag, ciphertext } = split(sealed);
      const key = ring.get(kid);
      if (!key)
        throw new SnowlineError(
          'secrets.unknown_key',
          `sealed with key ${kid}, which is neither secrets.key nor in secrets.previousKeys`,
        );
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(context)).setAuthTag(tag);
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch {
        throw new SnowlineError(
          'secrets.tampered',
          `sealed secret for ${context} does not authenticate (altered, or moved from another record)`,
        );
      }
    },
    keyIdOf: (sealed) => split(sealed).kid,
  };
}

function split(sealed: string) {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== PREFIX)
    throw new SnowlineError('secrets.malformed', 'not a sealed secret (expected sb1.<key>.<iv>.<tag>.<data>)');
  const [, kid, iv, tag, ciphertext] = parts as [string, string, string, string, string];
  return {
    kid,
    iv: Buffer.from(iv, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
  };
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Never echoes the key: a wrong key is reported by its length only. */
function parseKey(text: string, field: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) return Buffer.from(trimmed, 'base64');
  throw new ConfigError([
    `${field}: expected 32 bytes as 64 hex or 44 Base64 characters, got ${trimmed.length} characters (a secret, not shown)`,
  ]);
}

/** The box from `secrets.*`, or undefined when no key is configured. */
export function secretBoxFromConfig(secrets: { key?: string; previousKeys?: string }): SecretBox | undefined {
  if (!secrets.key) return undefined;
  const previous = (secrets.previousKeys ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  return createSecretBox({ current: secrets.key, previous });
}
