import { createHmac } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import type { Logger } from '../observability/logger';
import type { LoginAttempt, OidcClient } from '../security/oidc-client';
import type { Role } from '../security/roles';
import { sendError } from '../errors/http-error';

export interface OidcSignInOptions {
  client: OidcClient;
  /** Signs the login-attempt cookie (with a key derived for that purpose alone). */
  jwtSecret: string;
  /** Issues the Snowline token the console then uses, as `snowline token` would. */
  issueToken(subject: string, roles: Role[]): string;
  /** Cookies only over HTTPS when the callback is HTTPS. */
  secureCookies: boolean;
  logger: Logger;
}

const ATTEMPT_COOKIE = 'snowline_oidc_attempt';
const HANDOVER_COOKIE = 'snowline_oidc_token';
/** A sign-in at the provider may take this long (typing a password, a second factor). */
const ATTEMPT_SECONDS = 600;
/** The token waits this long for the console page to collect it after the redirect. */
const HANDOVER_SECONDS = 60;

const attemptSchema = z.object({ state: z.string(), nonce: z.string(), codeVerifier: z.string() });
const callbackQuery = z.object({ code: z.string().min(1).max(4096), state: z.string().min(1).max(200) });

function attemptKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('snowline:oidc-login-attempt').digest();
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** Back to the console's sign-in page with a short reason of ours (never the provider's text). */
function backWithError(res: Response, reason: string): void {
  res.redirect(303, `/console/?oidc_error=${encodeURIComponent(reason)}`);
}

/**
 * OIDC sign-in for the console. `/console/oidc/login` sends the browser to the provider with PKCE,
 * state and nonce kept in a signed, HttpOnly cookie; `/console/oidc/callback` exchanges the code,
 * verifies the ID token, maps its claims to roles and issues a Snowline token, handed to the page
 * through a one-minute HttpOnly, SameSite=Strict cookie that only `POST /console/oidc/session`
 * reads (once). The token never appears in a URL. See docs/console.md, "OIDC sign-in".
 */
export function oidcRouter(options: OidcSignInOptions): Router {
  const router = Router();
  const cookieBase = { httpOnly: true, secure: options.secureCookies } as const;

  router.get('/console/oidc/login', async (_req, res) => {
    try {
      const { url, attempt } = await options.client.start();
      const signed = jwt.sign(attempt, attemptKey(options.jwtSecret), {
        algorithm: 'HS256',
        expiresIn: ATTEMPT_SECONDS,
      });
      // Lax: the cookie must come back on the provider's top-level redirect to the callback.
      res.cookie(ATTEMPT_COOKIE, signed, {
        ...cookieBase,
        sameSite: 'lax',
        path: '/console/oidc',
        maxAge: ATTEMPT_SECONDS * 1000,
      });
      res.redirect(302, url);
    } catch (err) {
      options.logger.warn('oidc: sign-in could not start', { error: (err as Error).message });
      backWithError(res, 'the identity provider cannot be reached');
    }
  });

  router.get('/console/oidc/callback', async (req, res) => {
    res.clearCookie(ATTEMPT_COOKIE, { ...cookieBase, sameSite: 'lax', path: '/console/oidc' });
    const query = callbackQuery.safeParse(req.query);
    if (!query.success) return backWithError(res, 'the identity provider did not sign you in');
    let attempt: LoginAttempt;
    try {
      attempt = attemptSchema.parse(jwt.verify(cookie(req, ATTEMPT_COOKIE) ?? '', attemptKey(options.jwtSecret)));
    } catch {
      return backWithError(res, 'the sign-in expired or was started elsewhere; try again');
    }
    if (attempt.state !== query.data.state) return backWithError(res, 'the sign-in does not match (state); try again');
    try {
      const identity = await options.client.finish(query.data.code, attempt);
      if (identity.roles.length === 0) {
        options.logger.warn('oidc: signed in without a Snowline role', { subject: identity.subject });
        return backWithError(res, `${identity.subject} has no Snowline role`);
      }
      options.logger.info('oidc: signed in', { subject: identity.subject, roles: identity.roles });
      res.cookie(HANDOVER_COOKIE, options.issueToken(identity.subject, identity.roles), {
        ...cookieBase,
        sameSite: 'strict',
        path: '/console/oidc/session',
        maxAge: HANDOVER_SECONDS * 1000,
      });
      res.redirect(303, '/console/');
    } catch (err) {
      options.logger.warn('oidc: sign-in refused', { error: (err as Error).message });
      backWithError(res, 'the identity provider’s answer was refused');
    }
  });

  router.post('/console/oidc/session', (req, res) => {
    const token = cookie(req, HANDOVER_COOKIE);
    res.clearCookie(HANDOVER_COOKIE, { ...cookieBase, sameSite: 'strict', path: '/console/oidc/session' });
    if (!token) return sendError(res, 404, 'console.no_oidc_session', 'no sign-in to collect');
    res.set('Cache-Control', 'no-store').json({ token });
  });
  return router;
}
