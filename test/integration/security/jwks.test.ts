import type { KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenVerifier } from '../../../src/security/jwt';
import { rsaKeys as rsa, signWith, verifierBase as base } from '../../helpers/signed-tokens';

describe('JWKS (identity provider keys, cached and rotated)', () => {
  let server: Server;
  let published: { kid: string; key: KeyObject }[] = [];
  let fetches = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      const keys = published.map(({ kid, key }) => ({
        ...key.export({ format: 'jwk' }),
        kid,
        use: 'sig',
        alg: 'RS256',
      }));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('caches the key set and picks up a rotated key on an unknown kid', async () => {
    const first = rsa();
    const second = rsa();
    published = [{ kid: 'k1', key: first.publicKey }];
    fetches = 0;
    const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    const verifier = createTokenVerifier({ ...base, jwksUrl });

    for (let i = 0; i < 3; i++) {
      await expect(
        verifier.verify(signWith(first.privateKey, 'RS256', { sub: 'a', roles: ['viewer'] }, { keyid: 'k1' })),
      ).resolves.toMatchObject({ subject: 'a' });
    }
    expect(fetches).toBe(1);

    // The provider rotates: k2 is published, k1 withdrawn. A token under k2 triggers one refetch.
    published = [{ kid: 'k2', key: second.publicKey }];
    await expect(
      verifier.verify(signWith(second.privateKey, 'RS256', { sub: 'b', roles: ['operator'] }, { keyid: 'k2' })),
    ).resolves.toEqual({ subject: 'b', roles: ['operator'] });
    expect(fetches).toBe(2);

    // A token claiming k2 but signed with another key is refused.
    await expect(verifier.verify(signWith(first.privateKey, 'RS256', { sub: 'c' }, { keyid: 'k2' }))).rejects.toThrow(
      /invalid signature/,
    );
    // A kid the provider never published is refused with the reason.
    await expect(verifier.verify(signWith(first.privateKey, 'RS256', { sub: 'c' }, { keyid: 'nope' }))).rejects.toThrow(
      /no signing key for kid "nope"/,
    );
  });
});
