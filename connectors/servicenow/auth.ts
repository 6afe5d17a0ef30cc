import type { AxiosInstance } from 'axios';
import { ConnectorError } from '../../src/errors';
import { CONNECTOR, errorFromNetwork, rateLimitWaitMs } from './errors';
import { tokenResponseSchema, type OAuthAuth, type ServiceNowAuth } from './schemas';

/**
 * Credentials for ServiceNow requests. Basic, API key and static bearer are fixed headers; OAuth
 * obtains tokens from `/oauth_token.do` (https://www.servicenow.com/docs/r/platform-security/authentication/r_OAuthAPIRequestParameters.html), refreshes them before they
 * expire and re-authenticates exactly once when the instance answers 401.
 */
export interface AuthProvider {
  /** Headers that authenticate the next request. May call the token endpoint. */
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
  /** Whether a 401 is worth one re-authentication (only when new credentials can be obtained). */
  readonly canReauthenticate: boolean;
  /** After a 401 answered to `used`: obtain fresh credentials for the single retry. */
  reauthenticate(used: Record<string, string>, signal?: AbortSignal): Promise<void>;
}

class StaticAuth implements AuthProvider {
  readonly canReauthenticate = false;
  constructor(private readonly fixed: Record<string, string>) {}
  async headers(): Promise<Record<string, string>> {
    return { ...this.fixed };
  }
  async reauthenticate(): Promise<void> {
    // Nothing new to offer: the same credentials would be refused again.
  }
}

/** Refresh this long before the access token expires (Ansible's client does the same). */
const REFRESH_MARGIN_MS = 60_000;

/**
 * OAuth 2.0 token holder. One token request at a time (concurrent callers share it); the access
 * token is refreshed `REFRESH_MARGIN_MS` before `expires_in` runs out, with the refresh token when
 * one is held and otherwise with the configured grant. The body is form-encoded, as the endpoint
 * requires (JSON gets an unspecified error).
 */
export class OAuthTokens implements AuthProvider {
  readonly canReauthenticate = true;
  private accessToken: string | undefined;
  private refreshToken: string | undefined;
  private expiresAtMs = 0;
  private inFlight: Promise<string> | undefined;

  constructor(
    private readonly auth: OAuthAuth,
    private readonly http: AxiosInstance,
    private readonly now: () => number = Date.now,
  ) {
    this.refreshToken = auth.grant === 'refresh_token' ? auth.refreshToken : undefined;
  }

  async headers(signal?: AbortSignal): Promise<Record<string, string>> {
    return { Authorization: `Bearer ${await this.token(signal)}` };
  }

  async reauthenticate(used: Record<string, string>, signal?: AbortSignal): Promise<void> {
    // Another request may already have replaced the refused token; then use that one.
    if (this.accessToken && used.Authorization === `Bearer ${this.accessToken}`) {
      this.accessToken = undefined;
      this.expiresAtMs = 0;
    }
    await this.token(signal);
  }

  /** The current access token, fetching a new one when missing or about to expire. */
  async token(signal?: AbortSignal): Promise<string> {
    if (this.accessToken && this.now() < this.expiresAtMs) return this.accessToken;
    if (!this.inFlight) {
      this.inFlight = this.obtain(signal).finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  private async obtain(signal?: AbortSignal): Promise<string> {
    if (this.refreshToken) {
      try {
        return await this.request({ grant_type: 'refresh_token', refresh_token: this.refreshToken }, signal);
      } catch (err) {
        // An expired or revoked refresh token: fall back to the configured grant, if it is another.
        const refused = err instanceof ConnectorError && err.code === 'servicenow.auth';
        if (!refused || this.auth.grant === 'refresh_token') throw err;
        this.refreshToken = undefined;
      }
    }
    if (this.auth.grant === 'password') {
      return this.request(
        { grant_type: 'password', username: this.auth.username ?? '', password: this.auth.password ?? '' },
        signal,
      );
    }
    if (this.auth.grant === 'client_credentials') return this.request({ grant_type: 'client_credentials' }, signal);
    throw new ConnectorError(
      CONNECTOR,
      'permanent',
      'auth',
      'no OAuth refresh token left to obtain an access token with',
      {},
    );
  }

  private async request(grant: Record<string, string>, signal?: AbortSignal): Promise<string> {
    const form = new URLSearchParams({
      ...grant,
      client_id: this.auth.clientId,
      client_secret: this.auth.clientSecret,
    });
    if (this.auth.scope) form.set('scope', this.auth.scope);
    const facts = { method: 'POST', path: this.auth.tokenPath, idempotent: true };
    let res;
    try {
      res = await this.http.post(this.auth.tokenPath, form.toString(), {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        signal,
      });
    } catch (err) {
      throw errorFromNetwork(err, facts);
    }
    const grantType = grant.grant_type;
    if (res.status === 200) {
      const parsed = tokenResponseSchema.safeParse(res.data);
      if (!parsed.success) {
        throw new ConnectorError(
          CONNECTOR,
          'permanent',
          'auth',
          `the OAuth token endpoint answered without an access_token (grant ${grantType})`,
          { details: { status: res.status } },
        );
      }
      const lifetimeMs = parsed.data.expires_in * 1000;
      this.accessToken = parsed.data.access_token;
      if (parsed.data.refresh_token) this.refreshToken = parsed.data.refresh_token;
      this.expiresAtMs = this.now() + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
      return parsed.data.access_token;
    }
    const body = (res.data ?? {}) as { error?: unknown; error_description?: unknown };
    const said =
      [body.error, body.error_description].filter((v) => typeof v === 'string' && v).join(': ') || `HTTP ${res.status}`;
    const details = {
      status: res.status,
      grant: grantType,
      oauthError: typeof body.error === 'string' ? body.error : undefined,
    };
    if (res.status === 429) {
      throw new ConnectorError(
        CONNECTOR,
        'transient',
        'rate_limited',
        `the OAuth token endpoint is rate limited: ${said}`,
        {
          retryAfterMs: rateLimitWaitMs(res.headers as Record<string, unknown>, this.now()),
          details,
        },
      );
    }
    if (res.status >= 500) {
      throw new ConnectorError(
        CONNECTOR,
        'transient',
        'unavailable',
        `the OAuth token endpoint failed (grant ${grantType}): ${said}`,
        { details },
      );
    }
    throw new ConnectorError(
      CONNECTOR,
      'permanent',
      'auth',
      `the OAuth token endpoint refused grant ${grantType}: ${said}`,
      { details },
    );
  }
}

/** Builds the provider for a configured auth strategy. `http` is used only for OAuth token calls. */
export function createAuth(auth: ServiceNowAuth, http: AxiosInstance, now: () => number = Date.now): AuthProvider {
  switch (auth.type) {
    case 'basic':
      return new StaticAuth({
        Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`,
      });
    case 'api_key':
      return new StaticAuth({ 'x-sn-apikey': auth.apiKey });
    case 'bearer':
      return new StaticAuth({ Authorization: `Bearer ${auth.token}` });
    case 'oauth':
      return new OAuthTokens(auth, http, now);
  }
}
