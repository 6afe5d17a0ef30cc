import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createTokenVerifier, issueToken, type VerifierOptions } from '../../../src/security/jwt';
import { freshKeyPair, rsaKeys as rsa, signWith, verifierBase as base } from '../../helpers/signed-tokens';

const ec = () => freshKeyPair('ec');
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

describe('token verification', () => {
  it('accepts a token from `snowline token` (HS256) and keeps only known roles', async () => {
    const verifier = createTokenVerifier(base);
    const token = issueToken(base, 'ops-script', ['operator'], 60);
    await expect(verifier.verify(token)).resolves.toEqual({ subject: 'ops-script', roles: ['operator'] });
    const odd = jwt.sign({ roles: ['operator', 'root'] }, base.secret, {
      subject: 's',
      issuer: base.issuer,
      audience: base.audience,
      expiresIn: 60,
    });
    await expect(verifier.verify(odd)).resolves.toEqual({ subject: 's', roles: ['operator'] });
  });

  it('refuses a token without exp, even when everything else is right', async () => {
    const verifier = createTokenVerifier(base);
    const endless = jwt.sign({ roles: ['admin'] }, base.secret, {
      subject: 's',
      issuer: base.issuer,
      audience: base.audience,
    });
    await expect(verifier.verify(endless)).rejects.toThrow(/exp are required/);
  });

  it('refuses a token whose lifetime exceeds the configured maximum, with or without iat', async () => {
    const verifier = createTokenVerifier({ ...base, maxLifetimeSeconds: 3600 });
    await expect(verifier.verify(issueToken(base, 'a', ['viewer'], 3600))).resolves.toMatchObject({ subject: 'a' });
    await expect(verifier.verify(issueToken(base, 'a', ['viewer'], 3601))).rejects.toThrow(
      /jwtMaxLifetimeSeconds \(3600 s\)/,
    );
    const noIat = jwt.sign({ roles: [], exp: Math.floor(Date.now() / 1000) + 7200 }, base.secret, {
      subject: 'a',
      issuer: base.issuer,
      audience: base.audience,
      noTimestamp: true,
    });
    await expect(verifier.verify(noIat)).rejects.toThrow(/lifetime longer/);
  });

  it.each([
    ['another issuer', { issuer: 'https://evil.example' }, /jwt issuer invalid/],
    ['another audience', { audience: 'other-api' }, /jwt audience invalid/],
    ['expired beyond the clock skew', { expiresIn: -31 }, /jwt expired/],
    ['not yet valid beyond the clock skew', { notBefore: 31 }, /jwt not active/],
  ])('refuses an RS256 token with %s', async (_name, override, message) => {
    const keys = rsa();
    const verifier = createTokenVerifier({ ...base, publicKey: pem(keys.publicKey), clockSkewSeconds: 30 });
    await expect(
      verifier.verify(signWith(keys.privateKey, 'RS256', { sub: 'a' }, override as jwt.SignOptions)),
    ).rejects.toThrow(message);
  });

  it('tolerates expiry inside the clock skew', async () => {
    const keys = rsa();
    const verifier = createTokenVerifier({ ...base, publicKey: pem(keys.publicKey), clockSkewSeconds: 30 });
    await expect(
      verifier.verify(signWith(keys.privateKey, 'RS256', { sub: 'a', roles: ['viewer'] }, { expiresIn: -10 })),
    ).resolves.toEqual({ subject: 'a', roles: ['viewer'] });
  });

  it('verifies ES256 with a configured public key and refuses a key it was not given', async () => {
    const keys = ec();
    const verifier = createTokenVerifier({ ...base, publicKey: pem(keys.publicKey) });
    await expect(
      verifier.verify(signWith(keys.privateKey, 'ES256', { sub: 'idp-user', roles: ['auditor'] })),
    ).resolves.toEqual({ subject: 'idp-user', roles: ['auditor'] });
    await expect(verifier.verify(signWith(ec().privateKey, 'ES256', { sub: 'x' }))).rejects.toThrow(
      /invalid signature/,
    );
  });

  it('refuses HS256 "signed" with the public key (algorithm confusion) and alg none', async () => {
    const keys = rsa();
    const publicKey = pem(keys.publicKey);
    const verifier = createTokenVerifier({ ...base, publicKey });
    const confused = signWith(Buffer.from(publicKey) as unknown as KeyObject, 'HS256', { sub: 'x', roles: ['admin'] });
    await expect(verifier.verify(confused)).rejects.toThrow(/invalid signature/);
    const none = jwt.sign({ sub: 'x', roles: ['admin'] }, '', {
      algorithm: 'none',
      issuer: base.issuer,
      audience: base.audience,
    });
    await expect(verifier.verify(none)).rejects.toThrow(/algorithm none is not accepted/);
  });

  it('refuses RS256 when no public key or JWKS is configured', async () => {
    await expect(createTokenVerifier(base).verify(signWith(rsa().privateKey, 'RS256', { sub: 'x' }))).rejects.toThrow(
      /need security.jwtPublicKey or security.jwksUrl/,
    );
  });

  it('maps identity-provider groups to roles, ignoring unmapped groups and prototype keys', async () => {
    const keys = rsa();
    const options: VerifierOptions = {
      ...base,
      publicKey: pem(keys.publicKey),
      groupRoles: { 'sn-ops': ['operator'], 'grc-auditors': ['auditor', 'viewer'] },
    };
    const verifier = createTokenVerifier(options);
    const token = signWith(keys.privateKey, 'RS256', {
      sub: 'alice',
      groups: ['sn-ops', 'grc-auditors', 'everyone', '__proto__', 'constructor'],
    });
    const identity = await verifier.verify(token);
    expect(identity.roles.sort()).toEqual(['auditor', 'operator', 'viewer']);
  });
});
