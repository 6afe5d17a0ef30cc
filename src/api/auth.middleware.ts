import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Identity, TokenVerifier } from '../security/jwt';
import { rolesGrant, type Permission } from '../security/roles';
import { sendError } from '../errors/http-error';

declare module 'express-serve-static-core' {
  interface Request {
    identity?: Identity;
  }
}

/** Bearer JWT → `req.identity`, or 401. */
export function authenticate(verifier: TokenVerifier): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) return sendError(res, 401, 'auth.missing_token', 'Authorization: Bearer <token> is required');
    try {
      req.identity = await verifier.verify(match[1]!);
    } catch (err) {
      return sendError(res, 401, 'auth.invalid_token', (err as Error).message);
    }
    next();
  };
}

/** The permission a route needs; 403 when the caller's roles do not grant it. A granted use is reported to `onUse` (the access review). */
export function requires(
  permission: Permission,
  onUse?: (identity: Identity, permission: Permission) => void,
): RequestHandler {
  return (req, res, next) => {
    if (req.identity && rolesGrant(req.identity.roles, permission)) {
      onUse?.(req.identity, permission);
      return next();
    }
    sendError(res, 403, 'auth.forbidden', `permission ${permission} is required`);
  };
}
