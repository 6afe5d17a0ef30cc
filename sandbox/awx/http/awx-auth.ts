import type { RequestHandler } from 'express';
import { basicAuthUser, sameSecret, type SandboxAccount } from '../../http/credentials';

/**
 * docs/awx-behaviour.md §1.1 controller auth: the sandbox account by basic auth, or `Authorization: Bearer <token>` with
 * the configured token (it stands for the same user). Anything else is 401, as AWX words it.
 */
export function requireAwxAuth(account: SandboxAccount, token: string): RequestHandler {
  return (req, res, next) => {
    const header = req.get('Authorization');
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
    const user =
      bearer !== undefined ? (sameSecret(bearer, token) ? account.user : undefined) : basicAuthUser(header, account);
    if (user) {
      res.locals.user = user;
      return next();
    }
    res.set('WWW-Authenticate', 'Bearer realm=api authorization_url=/api/o/authorize/');
    const detail = header
      ? 'Invalid username/password.'
      : 'Authentication credentials were not provided. To establish a login session, visit /api/login/.';
    res.status(401).json({ detail });
  };
}
