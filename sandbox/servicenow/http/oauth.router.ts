import express, { Router } from 'express';
import type { OAuthIssuer } from '../auth/oauth-issuer';

/**
 * docs/servicenow-behaviour.md §5.2 `POST /oauth_token.do`. The body must be form-encoded; JSON gets an error (the instance's
 * answer is unspecified: [inf] an OAuth-style 400).
 */
export function oauthRouter(issuer: OAuthIssuer): Router {
  const router = Router();
  router.post('/oauth_token.do', express.urlencoded({ extended: false, limit: '16kb' }), (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (!req.is('application/x-www-form-urlencoded')) {
      return res.status(400).json({
        error: 'invalid_request',
        error_description: 'the token request must be application/x-www-form-urlencoded',
      });
    }
    const form = Object.fromEntries(
      Object.entries((req.body ?? {}) as Record<string, unknown>).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : undefined,
      ]),
    );
    const answer = issuer.token(form);
    res.status(answer.status).json(answer.body);
  });
  return router;
}
