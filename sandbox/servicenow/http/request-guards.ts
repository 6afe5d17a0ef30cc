import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { basicAuthUser, sameSecret, type SandboxAccount } from '../../http/credentials';
import type { RateLimitRules } from '../rate-limit-rules';
import { hasNonJsonBody } from '../../http/json-body';
import { sendFailure } from './failure-envelope';

/** The authenticated user_name of a Table API request, set by `requireAuth`. */
export function requestUser(locals: Record<string, unknown>): string {
  return String(locals.user ?? '');
}

/** Headers every real response carries (docs/servicenow-behaviour.md §1.3), and no caching of record data. */
export const transactionHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'X-Transaction-ID': randomBytes(6).toString('hex'),
    'Cache-Control': 'no-cache,no-store,must-revalidate,max-age=-1',
    Pragma: 'no-store,no-cache',
    Expires: '0',
  });
  next();
};

/** docs/servicenow-behaviour.md §1.1: a POST may carry the real method in `X-HTTP-Method-Override`, for clients limited to GET/POST. */
export const methodOverride: RequestHandler = (req, _res, next) => {
  const override = req.get('X-HTTP-Method-Override');
  if (req.method === 'POST' && override) req.method = override.toUpperCase();
  next();
};

/** How a request may authenticate: basic (docs/servicenow-behaviour.md §5.1), an OAuth bearer token (§5.2), an API key (§5.3). */
export interface InstanceCredentials {
  account: SandboxAccount;
  /** The user an OAuth access token stands for, while it is valid. */
  bearerUser(token: string): string | undefined;
  /** API key accepted in header or query parameter `x-sn-apikey`; none = API keys off. */
  apiKey?: string;
}

function authenticatedUser(req: Request, credentials: InstanceCredentials): string | undefined {
  const header = req.get('Authorization');
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  if (bearer !== undefined) return credentials.bearerUser(bearer);
  if (header) return basicAuthUser(header, credentials.account);
  const key =
    req.get('x-sn-apikey') ?? (typeof req.query['x-sn-apikey'] === 'string' ? req.query['x-sn-apikey'] : undefined);
  if (key !== undefined && credentials.apiKey)
    return sameSecret(key, credentials.apiKey) ? credentials.account.user : undefined;
  return undefined;
}

/** docs/servicenow-behaviour.md §5: credentials on every call; anything else is 401 with the envelope of §1.5. */
export function requireAuth(credentials: InstanceCredentials): RequestHandler {
  return (req, res, next) => {
    const user = authenticatedUser(req, credentials);
    res.set('X-Is-Logged-In', String(Boolean(user)));
    if (!user) {
      res.set('WWW-Authenticate', 'BASIC realm="Service-now"');
      return sendFailure(res, 401, 'User Not Authenticated', 'Required to provide Auth information');
    }
    res.locals.user = user;
    next();
  };
}

/** docs/servicenow-behaviour.md §5.4: the REST rate-limit rules; headers on every matching request, 429 past the limit. */
export function enforceRateLimits(rules: RateLimitRules): RequestHandler {
  return (req, res, next) => {
    const verdict = rules.check(req.method, req.originalUrl.split('?')[0] ?? '', requestUser(res.locals));
    res.set(verdict.headers);
    if (!verdict.refused) return next();
    res.set('Retry-After', String(verdict.refused.retryAfterSeconds));
    sendFailure(res, 429, 'Rate limit exceeded', verdict.refused.detail);
  };
}

/**
 * docs/servicenow-behaviour.md §1.1 headers: the sandbox speaks JSON only (ServiceNow also speaks XML): an `Accept` without JSON
 * is 406, a body of another type 415.
 */
export const requireJson: RequestHandler = (req, res, next) => {
  if (req.get('Accept') && !req.accepts('application/json')) {
    return sendFailure(res, 406, 'Not Acceptable', 'The sandbox answers application/json only');
  }
  if (hasNonJsonBody(req)) {
    return sendFailure(
      res,
      415,
      'Unsupported Media Type',
      `Content-Type ${req.get('Content-Type') ?? '(none)'} is not supported; send application/json`,
    );
  }
  next();
};

/** 405 for a method a Table API path does not take [inf: message]. */
export const methodNotAllowed: RequestHandler = (req, res) => {
  sendFailure(res, 405, 'Method not Supported', `${req.method} is not supported for ${req.path}`);
};
