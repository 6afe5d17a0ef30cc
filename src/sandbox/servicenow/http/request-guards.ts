import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import { basicAuthUser, type SandboxAccount } from '../../http/credentials';
import { hasNonJsonBody } from '../../http/json-body';
import { sendFailure } from './failure-envelope';

/** The authenticated user_name of a Table API request, set by `requireBasicAuth`. */
export function requestUser(locals: Record<string, unknown>): string {
  return String(locals.user ?? '');
}

/** Headers every real response carries (§1.3), and no caching of record data. */
export const transactionHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'X-Transaction-ID': randomBytes(6).toString('hex'),
    'Cache-Control': 'no-cache,no-store,must-revalidate,max-age=-1',
    Pragma: 'no-store,no-cache',
    Expires: '0',
  });
  next();
};

/** §1.1: a POST may carry the real method in `X-HTTP-Method-Override`, for clients limited to GET/POST. */
export const methodOverride: RequestHandler = (req, _res, next) => {
  const override = req.get('X-HTTP-Method-Override');
  if (req.method === 'POST' && override) req.method = override.toUpperCase();
  next();
};

/** §5.1: basic auth on every call; anything else is 401 with the envelope of §1.5. */
export function requireBasicAuth(account: SandboxAccount): RequestHandler {
  return (req, res, next) => {
    const user = basicAuthUser(req.get('Authorization'), account);
    res.set('X-Is-Logged-In', String(Boolean(user)));
    if (!user) {
      res.set('WWW-Authenticate', 'BASIC realm="Service-now"');
      return sendFailure(res, 401, 'User Not Authenticated', 'Required to provide Auth information');
    }
    res.locals.user = user;
    next();
  };
}

/**
 * §1.1 headers: the sandbox speaks JSON only (ServiceNow also speaks XML): an `Accept` without JSON
 * is 406, a body of another type 415.
 */
export const requireJson: RequestHandler = (req, res, next) => {
  if (req.get('Accept') && !req.accepts('application/json')) {
    return sendFailure(res, 406, 'Not Acceptable', 'The sandbox answers application/json only');
  }
  if (hasNonJsonBody(req)) {
    return sendFailure(res, 415, 'Unsupported Media Type', `Content-Type ${req.get('Content-Type') ?? '(none)'} is not supported; send application/json`);
  }
  next();
};

/** 405 for a method a Table API path does not take [inf: message]. */
export const methodNotAllowed: RequestHandler = (req, res) => {
  sendFailure(res, 405, 'Method not Supported', `${req.method} is not supported for ${req.path}`);
};
