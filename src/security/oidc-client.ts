import { createHash, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import { z } from 'zod';
import { SnowlineError } from '../errors';
import type { OidcConfig } from './oidc-config';
import { isRole, type Role } from './roles';

/** The parts of the discovery document the flow uses (https://openid.net/specs/openid-connect-discovery-1_0.html). */
const discoverySchema = z.object({
  issuer: z.string().url(),
  authorization_endpoint: z.string().url(),
  token_endpoint: z.string().url(),
  jwks_uri: z.string().url(),
});
type Discovery = z.infer<typeof discoverySchema>;

const tokenResponseSchema = z.object({ id_token: z.string().min(1) }).loose();

/** What a sign-in attempt keeps between the redirect to the provider and its return (in a signed cookie). */
export interface LoginAttempt {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Who signed in, as the verified ID token says. */
export interface OidcIdentity {
  subject: string;
  roles: Role[];
}

export interface RoleMapping {
  groupsClaim: string;
  groupRoles: Record<string, readonly Role[]>;
}

const ID_TOKEN_ALGORITHMS: jwt.Algorithm[] = ['RS256', 'PS256', 'ES256'];
const TIMEOUT_MS = 10_000;
/** The discovery document is read again after this (a provider may move its endpoints or keys). */
const DISCOVERY_TTL_MS = 3_600_000;

const random = () => randomBytes(32).toString('base64url');

function failed(message: string): SnowlineError {
  return new SnowlineError('auth.oidc_failed', `OIDC sign-in failed: ${message}`);
}

/**
 * The console's OIDC relying party: authorization-code flow with PKCE (S256, RFC 7636), the ID
 * token's signature checked against the provider's published keys (JWKS), its issuer, audience,
 * expiry and nonce checked (OpenID Connect Core 1.0 §3.1.3.7).
 */
export function createOidcClient(config: OidcConfig, mapping: RoleMapping) {
  let discovered: { at: number; document: Discovery; keys: JwksClient } | undefined;

  async function discovery() {
    if (discovered && Date.now() - discovered.at < DISCOVERY_TTL_MS) return discovered;
    const url = `${config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch((err: Error) => {
      throw failed(`discovery document unreachable (${err.message})`);
    });
    const parsed = discoverySchema.safeParse(await res.json().catch(() => undefined));
    if (!res.ok || !parsed.success) throw failed(`no usable discovery document at ${url} (HTTP ${res.status})`);
    const keys = new JwksClient({ jwksUri: parsed.data.jwks_uri, cache: true, rateLimit: true, timeout: TIMEOUT_MS });
    discovered = { at: Date.now(), document: parsed.data, keys };
    return discovered;
  }

  function rolesOf(claims: Record<string, unknown>): Role[] {
    const roles = new Set<Role>();
    const named = claims.roles;
    if (Array.isArray(named)) for (const r of named) if (typeof r === 'string' && isRole(r)) roles.add(r);
    const groups = claims[mapping.groupsClaim];
    if (Array.isArray(groups))
      for (const g of groups)
        if (typeof g === 'string' && Object.hasOwn(mapping.groupRoles, g))
          for (const role of mapping.groupRoles[g]!) roles.add(role);
    return [...roles];
  }

  return {
    /** Where to send the browser, and what to keep until it comes back. */
    async start(): Promise<{ url: string; attempt: LoginAttempt }> {
      const { document } = await discovery();
      const attempt = { state: random(), nonce: random(), codeVerifier: random() };
      const url = new URL(document.authorization_endpoint);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: config.clientId,
        redirect_uri: config.redirectUrl,
        scope: config.scopes.join(' '),
        state: attempt.state,
        nonce: attempt.nonce,
        code_challenge: createHash('sha256').update(attempt.codeVerifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      return { url: url.toString(), attempt };
    },

    /** The code the provider returned → a verified identity with its Snowline roles. */
    async finish(code: string, attempt: LoginAttempt): Promise<OidcIdentity> {
      const { document, keys } = await discovery();
      const form = new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: config.redirectUrl,
        code_verifier: attempt.codeVerifier,
        client_id: config.clientId,
      });
      const headers: Record<string, string> = {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      };
      // client_secret_basic (RFC 6749 §2.3.1): the id and secret form-encoded, then Base64.
      if (config.clientSecret)
        headers.Authorization = `Basic ${Buffer.from(
          `${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`,
        ).toString('base64')}`;
      const res = await fetch(document.token_endpoint, {
        method: 'POST',
        headers,
        body: form,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      }).catch((err: Error) => {
        throw failed(`token endpoint unreachable (${err.message})`);
      });
      const body = tokenResponseSchema.safeParse(await res.json().catch(() => undefined));
      // The provider's error text is not echoed: only its status.
      if (!res.ok || !body.success) throw failed(`the token endpoint refused the code (HTTP ${res.status})`);
      const claims = await verifyIdToken(body.data.id_token, document, keys, attempt.nonce);
      const named = claims[config.subjectClaim];
      const subject = typeof named === 'string' && named !== '' ? named : String(claims.sub);
      return { subject, roles: rolesOf(claims) };
    },
  };

  async function verifyIdToken(
    idToken: string,
    document: Discovery,
    keys: JwksClient,
    nonce: string,
  ): Promise<Record<string, unknown>> {
    const decoded = jwt.decode(idToken, { complete: true });
    if (!decoded || typeof decoded === 'string') throw failed('the ID token is not a JWT');
    if (!ID_TOKEN_ALGORITHMS.includes(decoded.header.alg as jwt.Algorithm))
      throw failed(`ID token algorithm ${decoded.header.alg} is not accepted`);
    let key: string;
    try {
      key = (await keys.getSigningKey(decoded.header.kid)).getPublicKey();
    } catch (err) {
      throw failed(`no signing key for the ID token (${(err as Error).message})`);
    }
    let claims: Record<string, unknown>;
    try {
      claims = jwt.verify(idToken, key, {
        algorithms: ID_TOKEN_ALGORITHMS,
        issuer: document.issuer,
        audience: config.clientId,
        clockTolerance: 30,
      }) as Record<string, unknown>;
    } catch (err) {
      throw failed(`ID token refused (${(err as Error).message})`);
    }
    if (claims.nonce !== nonce) throw failed('the ID token does not answer this sign-in (nonce)');
    if (typeof claims.sub !== 'string' || claims.sub === '') throw failed('the ID token names no subject');
    return claims;
  }
}
export type OidcClient = ReturnType<typeof createOidcClient>;
