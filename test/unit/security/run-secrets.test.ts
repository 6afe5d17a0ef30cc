import { randomBytes } from 'node:crypto';
import type { RunContext } from '../../../src/engine/run-context';
import {
  openSecretParams,
  paramsForDisplay,
  resealSecretParams,
  sealSecretParams,
} from '../../../src/engine/run-secrets';
import { createSecretBox } from '../../../src/security/secret-box';

const key = () => randomBytes(32).toString('hex');
const context = (ruleId = 'unlock'): RunContext => ({
  ticket: {},
  rule: { id: ruleId, description: 'd', owner: 'o', risk: 'high', version: 'v1' },
  writeback: {},
  params: { host: 'web-01', pw: 'hunter2', keys: ['k-1', 'k-2'] },
  secretParams: ['pw', 'keys'],
});

describe('secret params sealed in a run context', () => {
  it('seals every secret param (any JSON value) and open back to the same params', () => {
    const box = createSecretBox({ current: key() });
    const sealed = sealSecretParams(context(), box);
    expect(sealed.params.host).toBe('web-01');
    expect(JSON.stringify(sealed)).not.toMatch(/hunter2|k-1/);
    expect(openSecretParams(sealed, box)).toEqual(context());
  });

  it('do not open under another key, or moved to another rule', () => {
    const sealed = sealSecretParams(context(), createSecretBox({ current: key() }));
    expect(() => openSecretParams(sealed, createSecretBox({ current: key() }))).toThrow(
      /neither secrets.key nor in secrets.previousKeys/,
    );
    const box = createSecretBox({ current: key() });
    const moved = { ...sealSecretParams(context(), box), rule: context('other-rule').rule };
    expect(() => openSecretParams(moved, box)).toThrow(/does not authenticate/);
  });

  it('are re-sealed under the new key after a rotation, and left alone when already current', () => {
    const old = key();
    const sealed = sealSecretParams(context(), createSecretBox({ current: old }));
    const rotated = createSecretBox({ current: key(), previous: [old] });
    const fresh = resealSecretParams(sealed, rotated)!;
    expect(openSecretParams(fresh, rotated)).toEqual(context());
    expect(rotated.keyIdOf(String(fresh.params.pw))).toBe(rotated.currentKeyId);
    expect(resealSecretParams(fresh, rotated)).toBeUndefined();
  });

  it('display masked, sealed or not', () => {
    expect(paramsForDisplay(context())).toEqual({ host: 'web-01', pw: '[redacted]', keys: '[redacted]' });
  });
});
