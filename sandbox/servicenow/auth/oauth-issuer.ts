import { randomBytes } from 'node:crypto';
import { sameSecret, type SandboxAccount } from '../../http/credentials';

/** The one OAuth application registry of the sandbox (https://www.servicenow.com/docs/r/platform-security/authentication/r_OAuthAPIRequestParameters.html). */
export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  /** Access-token lifespan in seconds; ServiceNow's default is 1800 and answers `expires_in` 1799. */
  accessTokenSeconds: number;
  /** Refresh-token lifespan in seconds (commonly 100 days). */
  refreshTokenSeconds: number;
}

/** What `/oauth_token.do` answers: a token body (200) or an OAuth-style error. */
export type TokenAnswer =
  | {
      status: 200;
      body: { access_token: string; refresh_token: string; scope: string; token_type: 'Bearer'; expires_in: number };
    }
  | { status: 400 | 401; body: { error: string; error_description: string } };

interface Grant {
  user: string;
  expiresAtMs: number;
}

/**
 * Issues and checks OAuth tokens for the sandbox account. Password and client-credentials grants
 * hand back the still-valid current token rather than a new one, as the instance does [doc]; the
 * refresh_token grant always mints a new access token and keeps the refresh token.
 */
export class OAuthIssuer {
  private readonly access = new Map<string, Grant>();
  private readonly refresh = new Map<string, Grant>();
  private current: { access: string; refresh: string } | undefined;

  constructor(
    private readonly client: OAuthClient,
    private readonly account: SandboxAccount,
    private readonly now: () => number = Date.now,
  ) {}

  /** Answers one token request from its form fields. */
  token(form: Record<string, string | undefined>): TokenAnswer {
    if (
      !form.client_id ||
      !form.client_secret ||
      !sameSecret(form.client_id, this.client.clientId) ||
      !sameSecret(form.client_secret, this.client.clientSecret)
    ) {
      return denied();
    }
    switch (form.grant_type) {
      case 'password':
        if (
          !form.username ||
          !form.password ||
          !sameSecret(form.username, this.account.user) ||
          !sameSecret(form.password, this.account.password)
        )
          return denied();
        return this.currentOrNew();
      case 'client_credentials':
        // The token acts as the registry's OAuth Application User: the sandbox account.
        return this.currentOrNew();
      case 'refresh_token': {
        const grant = form.refresh_token ? this.refresh.get(form.refresh_token) : undefined;
        if (!grant || grant.expiresAtMs <= this.now()) return denied();
        return this.issue(form.refresh_token!);
      }
      default:
        return {
          status: 400,
          body: {
            error: 'unsupported_grant_type',
            error_description: `grant_type ${form.grant_type ?? '(none)'} is not supported`,
          },
        };
    }
  }

  /** The user an `Authorization: Bearer` token stands for, while it is valid. */
  userOf(accessToken: string): string | undefined {
    const grant = this.access.get(accessToken);
    return grant && grant.expiresAtMs > this.now() ? grant.user : undefined;
  }

  /** Invalidates every token (an admin revoking them, or a test forcing a 401). */
  revokeAll(): void {
    this.access.clear();
    this.refresh.clear();
    this.current = undefined;
  }

  private currentOrNew(): TokenAnswer {
    const held = this.current && this.access.get(this.current.access);
    if (this.current && held && held.expiresAtMs > this.now()) {
      return this.answer(this.current.access, this.current.refresh, Math.floor((held.expiresAtMs - this.now()) / 1000));
    }
    return this.issue(newToken());
  }

  private issue(refreshToken: string): TokenAnswer {
    const accessToken = newToken();
    const now = this.now();
    this.access.set(accessToken, { user: this.account.user, expiresAtMs: now + this.client.accessTokenSeconds * 1000 });
    if (!this.refresh.has(refreshToken))
      this.refresh.set(refreshToken, {
        user: this.account.user,
        expiresAtMs: now + this.client.refreshTokenSeconds * 1000,
      });
    this.current = { access: accessToken, refresh: refreshToken };
    // The instance answers one second short of the lifespan (1799 for 1800).
    return this.answer(accessToken, refreshToken, Math.max(0, this.client.accessTokenSeconds - 1));
  }

  private answer(access: string, refresh: string, expiresIn: number): TokenAnswer {
    return {
      status: 200,
      body: {
        access_token: access,
        refresh_token: refresh,
        scope: 'useraccount',
        token_type: 'Bearer',
        expires_in: expiresIn,
      },
    };
  }
}

/** [inf] the OAuth-style refusal of docs/servicenow-behaviour.md §5.2. */
function denied(): TokenAnswer {
  return { status: 401, body: { error: 'server_error', error_description: 'access_denied' } };
}

/** ServiceNow tokens are long opaque strings of URL-safe characters. */
function newToken(): string {
  return randomBytes(64).toString('base64url');
}
