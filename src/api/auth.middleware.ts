import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { verifyToken, type Identity, type JwtOptions } from '../security/jwt';
import { rolesGrant, type Permission } from '../security/roles';
import { sendError } from './http-error';

declare module 'express-serve-static-core' {
  interface Request {
    identity?: Identity;
  }
}

/** Bearer JWT → `req.identity`, or 401. */
export function authenticate(options: JwtOptions): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return sendError(res, 401, 'auth.missing_token', 'Authorization: Bearer <token> is required');
    try {
      req.identity = verifyToken(options, match[1]!);
      next();
    } catch (err) {
      sendError(res, 401, 'auth.invalid_token', (err as Error).message);
    }
  };
}

/** The permission a route needs; 403 when the caller's roles do not grant it. */
export function requires(permission: Permission): RequestHandler {
  return (req, res, next) => {
    if (req.identity && rolesGrant(req.identity.roles, permission)) return next();
    sendError(res, 403, 'auth.forbidden', `permission ${permission} is required`);
  };
}
