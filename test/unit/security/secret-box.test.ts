import { randomBytes } from 'node:crypto';
import { createSecretBox } from '../../../src/security/secret-box';

const oldKey = randomBytes(32).toString('hex');
const newKey = randomBytes(32).toString('base64');

describe('secret box (AES-256-GCM)', () => {
  it('seals so that the plaintext is nowhere in the sealed text, and opens it again', () => {
    const box = createSecretBox({ current: oldKey });
    const sealed = box.seal('awx-token-s3cr3t', 'ansible:token');
    expect(sealed).toMatch(/^sb1\.[0-9a-f]{16}\./);
    expect(sealed).not.toContain('s3cr3t');
    expect(box.open(sealed, 'ansible:token')).toBe('awx-token-s3cr3t');
    expect(box.seal('awx-token-s3cr3t', 'ansible:token')).not.toBe(sealed); // a fresh IV each time
  });

  it('refuses a sealed value that was altered or moved to another record', () => {
    const box = createSecretBox({ current: oldKey });
    const sealed = box.seal('value', 'http:token');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[4]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    parts[4] = flipped.toString('base64url');
    expect(() => box.open(parts.join('.'), 'http:token')).toThrow(/does not authenticate/);
    expect(() => box.open(sealed, 'ansible:token')).toThrow(/does not authenticate/);
    expect(() => box.open('plain text', 'http:token')).toThrow(/not a sealed secret/);
  });

  it('after rotation the old key still opens, only the new key seals, and a dropped key is named', () => {
    const before = createSecretBox({ current: oldKey });
    const sealedOld = before.seal('v1', 'c:n');
    const after = createSecretBox({ current: newKey, previous: [oldKey] });
    expect(after.open(sealedOld, 'c:n')).toBe('v1');
    expect(after.keyIdOf(after.seal('v2', 'c:n'))).toBe(after.currentKeyId);
    expect(after.currentKeyId).not.toBe(before.currentKeyId);
    const withoutOld = createSecretBox({ current: newKey });
    expect(() => withoutOld.open(sealedOld, 'c:n')).toThrow(new RegExp(`sealed with key ${before.currentKeyId}`));
  });

  it('refuses a key of the wrong size without echoing it', () => {
    expect(() => createSecretBox({ current: 'too-short-key-material' })).toThrow(
      /secrets.key: expected 32 bytes .* got 22 characters/,
    );
    try {
      createSecretBox({ current: 'too-short-key-material' });
    } catch (err) {
      expect((err as Error).message).not.toContain('too-short-key-material');
    }
  });
});
