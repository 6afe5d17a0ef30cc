import axios from 'axios';
import { ConnectorError } from '../../src/errors';
import { CONNECTOR, networkCode } from './errors';
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

/**
 * OAuth2 client-credentials tokens (RFC 6749 §4.4; Azure AD / Entra and generic servers),
 * cached until a minute before they expire. One fetch at a time per endpoint.
 */
export class ClientCredentialsTokens {
  private token: { value: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly config: OAuth2Config,
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
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
    if (this.config.clientAuth === 'basic') {
      const user = encodeURIComponent(this.config.clientId);
      const pass = encodeURIComponent(this.config.clientSecret);
      headers.Authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    } else {
      form.set('client_id', this.config.clientId);
      form.set('client_secret', this.config.clientSecret);
    }
    if (this.config.scope) form.set('scope', this.config.scope);
    if (this.config.audience) form.set('audience', this.config.audience);
    let res;
    try {
      res = await axios.post(this.config.tokenUrl, form.toString(), { headers, timeout: this.timeoutMs, validateStatus: () => true, maxRedirects: 0, signal });
    } catch (err) {
      throw new ConnectorError(CONNECTOR, 'transient', 'token_endpoint', `the OAuth2 token endpoint ${this.config.tokenUrl} could not be reached (${networkCode(err) ?? 'error'})`, { cause: err });
    }
    const body = res.data as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
    if (res.status !== 200 || typeof body?.access_token !== 'string') {
      const said = typeof body?.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : `HTTP ${res.status}`;
      const failure = res.status >= 500 || res.status === 429 ? 'transient' : 'permanent';
      throw new ConnectorError(CONNECTOR, failure, 'token_endpoint', `the OAuth2 token endpoint refused client ${this.config.clientId}: ${said}`, { details: { status: res.status } });
    }
    const lifetimeSeconds = Number(body.expires_in) > 0 ? Number(body.expires_in) : 3600;
    this.token = { value: body.access_token, expiresAt: this.now() + Math.max(0, lifetimeSeconds - 60) * 1000 };
    return this.token.value;
  }
}

/** Adds the endpoint's credentials to a request. */
export async function applyAuth(auth: AuthConfig, request: OutgoingRequest, deps: { tokens?: ClientCredentialsTokens; now: () => number; signal?: AbortSignal }): Promise<void> {
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
        credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: auth.secretAccessKey, sessionToken: auth.sessionToken },
        date: new Date(deps.now()),
      });
      Object.assign(request.headers, signed.headers);
      return;
    }
  }
}
