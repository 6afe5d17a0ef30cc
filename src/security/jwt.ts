import jwt from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import { z } from 'zod';
import { SnowlineError } from '../errors';
import { isRole, type Role } from './roles';

/** What `snowline token` needs to sign a local HS256 token. */
export interface JwtOptions {
  secret: string;
  issuer: string;
  audience: string;
  clockSkewSeconds?: number;
}

/**
 * How incoming tokens are verified. HS256 tokens (local, from `snowline token`) are checked with the
 * shared secret; RS256/ES256 tokens (from an identity provider) with the configured public key or
 * the key the JWKS URL publishes under the token's `kid`. The two families never share a key, so a
 * token cannot pass by claiming HS256 and being "signed" with a public key.
 */
export interface VerifierOptions extends JwtOptions {
  /** PEM public key of the identity provider. */
  publicKey?: string;
  /** The identity provider's JWKS document; keys are cached and refetched on an unknown `kid` (rotation). */
  jwksUrl?: string;
  /** How long a fetched JWKS key stays cached, in ms. */
  jwksCacheMs?: number;
  /** Claim holding the identity provider's groups. */
  groupsClaim?: string;
  /** Identity-provider group → Snowline roles. */
  groupRoles?: Record<string, readonly Role[]>;
  /** Longest lifetime accepted (exp − iat, or exp − now without iat), in seconds; default 24 h. */
  maxLifetimeSeconds?: number;
}

/** Who is calling, as a verified token says. */
export interface Identity {
  subject: string;
  roles: Role[];
}

export interface TokenVerifier {
  verify(token: string): Promise<Identity>;
}

const ASYMMETRIC_ALGORITHMS: jwt.Algorithm[] = ['RS256', 'ES256'];
const claimsSchema = z
  .object({
    sub: z.string().min(1),
    roles: z.array(z.string()).default([]),
    exp: z.number(),
    iat: z.number().optional(),
  })
  .loose();
const DEFAULT_MAX_LIFETIME_SECONDS = 86_400;

/** Issues a token for an operator or a script (`snowline token`). */
export function issueToken(options: JwtOptions, subject: string, roles: Role[], ttlSeconds: number): string {
  return jwt.sign({ roles }, options.secret, {
    algorithm: 'HS256',
    subject,
    issuer: options.issuer,
    audience: options.audience,
    expiresIn: ttlSeconds,
  });
}

/** Verifies signature, algorithm, issuer, audience and expiry; unknown roles are ignored. */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const jwks = options.jwksUrl
    ? new JwksClient({
        jwksUri: options.jwksUrl,
        cache: true,
        cacheMaxAge: options.jwksCacheMs ?? 10 * 60_000,
        rateLimit: true,
        jwksRequestsPerMinute: 10,
        timeout: 5000,
      })
    : undefined;
  const common = { issuer: options.issuer, audience: options.audience, clockTolerance: options.clockSkewSeconds ?? 30 };

  async function keyFor(header: jwt.JwtHeader): Promise<{ key: string; algorithms: jwt.Algorithm[] }> {
    if (header.alg === 'HS256') return { key: options.secret, algorithms: ['HS256'] };
    if (!ASYMMETRIC_ALGORITHMS.includes(header.alg as jwt.Algorithm))
      throw refused(`algorithm ${header.alg} is not accepted`);
    if (options.publicKey) return { key: options.publicKey, algorithms: ASYMMETRIC_ALGORITHMS };
    if (!jwks) throw refused(`${header.alg} tokens need security.jwtPublicKey or security.jwksUrl`);
    try {
      return { key: (await jwks.getSigningKey(header.kid)).getPublicKey(), algorithms: ASYMMETRIC_ALGORITHMS };
    } catch (err) {
      throw refused(`no signing key for kid ${JSON.stringify(header.kid ?? null)} (${(err as Error).message})`);
    }
  }

  return {
    async verify(token) {
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded || typeof decoded === 'string') throw refused('jwt malformed');
      const { key, algorithms } = await keyFor(decoded.header);
      let payload: unknown;
      try {
        payload = jwt.verify(token, key, { ...common, algorithms });
      } catch (err) {
        throw refused((err as Error).message);
      }
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) throw refused('claims sub, roles and exp are required');
      // A token without an end, or with one far away, is a credential that cannot be taken back.
      const { exp, iat } = claims.data;
      const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
      if (exp - (iat ?? Math.floor(Date.now() / 1000)) > maxLifetime)
        throw refused(`lifetime longer than security.jwtMaxLifetimeSeconds (${maxLifetime} s)`);
      return { subject: claims.data.sub, roles: rolesOf(claims.data, options) };
    },
  };
}

/** Roles named in `roles` plus those the configured group mapping grants; unknown names are ignored. */
function rolesOf(claims: Record<string, unknown> & { roles: string[] }, options: VerifierOptions): Role[] {
  const roles = new Set<Role>(claims.roles.filter(isRole));
  const groups = claims[options.groupsClaim ?? 'groups'];
  if (Array.isArray(groups) && options.groupRoles) {
    for (const group of groups)
      if (typeof group === 'string')
        if (Object.hasOwn(options.groupRoles, group)) for (const role of options.groupRoles[group]!) roles.add(role);
  }
  return [...roles];
}

function refused(reason: string): SnowlineError {
  return new SnowlineError('auth.invalid_token', `token refused: ${reason}`);
}
