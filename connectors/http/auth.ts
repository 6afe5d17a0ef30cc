import axios from 'axios';
import jwt from 'jsonwebtoken';
import { ConnectorError } from '../../src/errors';
import { networkCode } from '../transport';
import { CONNECTOR } from './errors';
import { signV4 } from './sigv4';
import type { AuthConfig } from './schemas';

/** A request about to be sent, which auth may add headers to (SigV4 signs all of it). */
export interface OutgoingRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

type OAuth2Config = Extract<AuthConfig, { type: 'oauth2_client_credentials' }>;
type GoogleConfig = Extract<AuthConfig, { type: 'google_service_account' }>;

/** One token request: the form posted to the token endpoint, and who is asking (for errors). */
interface TokenGrant {
  form: URLSearchParams;
  headers: Record<string, string>;
  who: string;
}

/**
 * Access tokens from an OAuth2 token endpoint, cached until a minute before they expire; one
 * fetch at a time per endpoint. The grant says how to ask: client credentials (RFC 6749 section 4.4;
 * Azure AD / Entra and generic servers) or a signed JWT assertion (RFC 7523; Google service accounts).
 */
export class TokenCache {
  private token: { value: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly tokenUrl: string,
    private readonly grant: () => TokenGrant,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(signal?: AbortSignal): Promise<string> {
    if (this.token && this.token.expiresAt > this.now()) return this.token.value;
    this.pending ??= this.fetch(signal).finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** After a 401 with a cached token: the next `get` fetches a new one. */
  invalidate(): void {
    this.token = undefined;
  }

  private async fetch(signal?: AbortSignal): Promise<string> {
    const { form, headers, who } = this.grant();
    let res;
    try {
      res = await axios.post(this.tokenUrl, form.toString(), {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers },
        timeout: this.timeoutMs,
        validateStatus: () => true,
        maxRedirects: 0,
        signal,
      });
    } catch (err) {
      throw new ConnectorError(
        CONNECTOR,
        'transient',
        'token_endpoint',
        `the OAuth2 token endpoint ${this.tokenUrl} could not be reached (${networkCode(err) ?? 'error'})`,
        { cause: err },
      );
    }
    const body = res.data as {
      access_token?: unknown;
      expires_in?: unknown;
      error?: unknown;
      error_description?: unknown;
    };
    if (res.status !== 200 || typeof body?.access_token !== 'string') {
      const said =
        typeof body?.error === 'string'
          ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}`
          : `HTTP ${res.status}`;
      const failure = res.status >= 500 || res.status === 429 ? 'transient' : 'permanent';
      throw new ConnectorError(
        CONNECTOR,
        failure,
        'token_endpoint',
        `the OAuth2 token endpoint refused ${who}: ${said}`,
        { details: { status: res.status } },
      );
    }
    const lifetimeSeconds = Number(body.expires_in) > 0 ? Number(body.expires_in) : 3600;
    this.token = { value: body.access_token, expiresAt: this.now() + Math.max(0, lifetimeSeconds - 60) * 1000 };
    return this.token.value;
  }
}

/** Client credentials: the secret in the form body (client_secret_post) or as basic auth. */
function clientCredentialsGrant(config: OAuth2Config): TokenGrant {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  const headers: Record<string, string> = {};
  if (config.clientAuth === 'basic') {
    const user = encodeURIComponent(config.clientId);
    const pass = encodeURIComponent(config.clientSecret);
    headers.Authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  } else {
    form.set('client_id', config.clientId);
    form.set('client_secret', config.clientSecret);
  }
  if (config.scope) form.set('scope', config.scope);
  if (config.audience) form.set('audience', config.audience);
  return { form, headers, who: `client ${config.clientId}` };
}

/** A Google service account's JWT: valid for an hour, signed RS256 with its private key (RFC 7523 section 2.1). */
export function googleAssertion(config: GoogleConfig, nowMs: number): string {
  const key = config.credentials;
  const iat = Math.floor(nowMs / 1000);
  const claims: Record<string, unknown> = {
    iss: key.client_email,
    scope: config.scopes.join(' '),
    aud: key.token_uri,
    iat,
    exp: iat + 3600,
  };
  if (config.subject) claims.sub = config.subject;
  return jwt.sign(claims, key.private_key, { algorithm: 'RS256', keyid: key.private_key_id });
}

function googleGrant(config: GoogleConfig, now: () => number): TokenGrant {
  const form = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion: googleAssertion(config, now()),
  });
  return { form, headers: {}, who: `service account ${config.credentials.client_email}` };
}

/** The token cache an endpoint's auth needs, if any. */
export function tokenCacheFor(auth: AuthConfig, timeoutMs: number, now: () => number): TokenCache | undefined {
  if (auth.type === 'oauth2_client_credentials')
    return new TokenCache(auth.tokenUrl, () => clientCredentialsGrant(auth), timeoutMs, now);
  if (auth.type === 'google_service_account')
    return new TokenCache(auth.credentials.token_uri, () => googleGrant(auth, now), timeoutMs, now);
  return undefined;
}

/** Adds the endpoint's credentials to a request. */
export async function applyAuth(
  auth: AuthConfig,
  request: OutgoingRequest,
  deps: { tokens?: TokenCache; now: () => number; signal?: AbortSignal },
): Promise<void> {
  switch (auth.type) {
    case 'none':
      return;
    case 'bearer':
      request.headers.Authorization = `Bearer ${auth.token}`;
      return;
    case 'basic':
      request.headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
      return;
    case 'api_key':
      request.headers[auth.header] = auth.value;
      return;
    case 'oauth2_client_credentials':
    case 'google_service_account':
      request.headers.Authorization = `Bearer ${await deps.tokens!.get(deps.signal)}`;
      return;
    case 'aws_sigv4': {
      const signed = signV4({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request.body,
        region: auth.region,
        service: auth.service,
        credentials: {
          accessKeyId: auth.accessKeyId,
          secretAccessKey: auth.secretAccessKey,
          sessionToken: auth.sessionToken,
        },
        date: new Date(deps.now()),
      });
      Object.assign(request.headers, signed.headers);
      return;
    }
  }
}
