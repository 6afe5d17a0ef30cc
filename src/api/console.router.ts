import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { ROLES } from '../security/roles';
import { sendError } from '../errors/http-error';
import { oidcRouter, type OidcSignInOptions } from './oidc.router';

export interface ConsoleOptions {
  /** The built console (`npm run build` writes it to dist/console). */
  assetsDir: string;
  /** In sandbox mode only: issues a token for a role, for the one-click sign-in. Absent in production. */
  sandboxToken?: (role: (typeof ROLES)[number]) => string;
  /** Sign-in with the identity provider (security.oidc); absent = Token field only. */
  oidc?: OidcSignInOptions & { providerName: string };
}

const sandboxSignInBody = z.object({ role: z.enum(ROLES) }).strict();

/** Loopback callers only: a sandbox reachable from the network must not hand out tokens to it. */
function fromLoopback(req: Request): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/**
 * The operations console at /console: a static single-page app that talks to /api/v1 with the
 * same JWT as any API client. Nothing here reads the store; every datum comes through the API,
 * so the console can never show or do more than the caller's role allows.
 */
export function consoleRouter(options: ConsoleOptions): Router {
  const router = Router();
  const index = join(options.assetsDir, 'index.html');
  router.get('/console/settings.json', (_req, res) => {
    res.json({
      sandbox: options.sandboxToken !== undefined,
      roles: ROLES,
      oidc: options.oidc ? { providerName: options.oidc.providerName } : null,
    });
  });
  if (options.oidc) router.use(oidcRouter(options.oidc));
  if (options.sandboxToken) {
    const issue = options.sandboxToken;
    router.post('/console/sandbox-sign-in', express.json({ limit: 1024 }), (req, res) => {
      if (!fromLoopback(req))
        return sendError(res, 403, 'console.sandbox_sign_in_remote', 'one-click sign-in is offered on loopback only');
      const parsed = sandboxSignInBody.safeParse(req.body ?? {});
      if (!parsed.success) return sendError(res, 400, 'request.invalid', `role: must be one of ${ROLES.join(', ')}`);
      res.json({ token: issue(parsed.data.role) });
    });
  }
  router.use('/console', express.static(options.assetsDir, { index: false, redirect: false, maxAge: '1h' }));
  router.get(['/console', '/console/'], (_req, res) => {
    if (!existsSync(index))
      return sendError(res, 503, 'console.not_built', 'the console is not built: run `npm run build`');
    res.set('Cache-Control', 'no-cache').sendFile(index);
  });
  return router;
}
