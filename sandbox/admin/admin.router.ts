import express, { Router } from 'express';
import { z } from 'zod';
import type { SandboxAccount } from '../http/credentials';
import { basicAuthUser } from '../http/credentials';
import { FAULT_TARGETS, type FaultInjector } from '../faults/fault-injector';
import type { LatencyProfile } from '../http/latency';
import type { RequestCounter } from '../http/request-counter';
import type { OAuthIssuer } from '../servicenow/auth/oauth-issuer';
import { rateLimitRulesSchema, type RateLimitRules } from '../servicenow/rate-limit-rules';

export interface AdminDeps {
  account: SandboxAccount;
  faults: FaultInjector;
  rateLimits: RateLimitRules;
  oauth: OAuthIssuer;
  latency: LatencyProfile;
  requests: RequestCounter;
  /** Back to the seeded instance with no jobs (numbers continue). */
  reset(): void;
}

const targetSchema = z.enum(FAULT_TARGETS);

/**
 * `/sandbox/*`: switches for tests and rehearsals, not part of any real API. Basic auth with the
 * sandbox account.
 *
 * - `GET /sandbox/faults` · `PUT /sandbox/faults/{servicenow|awx}` (a fault plan) · `DELETE /sandbox/faults[/{target}]`
 * - `GET|PUT /sandbox/rate-limits` (a list of REST rate-limit rules, docs/servicenow-behaviour.md §5.4)
 * - `DELETE /sandbox/oauth/tokens` (revoke every OAuth token: the next API call gets 401)
 * - `GET|PUT /sandbox/latency` (answer times per API: `{"table":{"ms":200,"jitterMs":80}}`)
 * - `POST /sandbox/reset` (every record and job forgotten, the base data seeded again)
 * - `GET|DELETE /sandbox/requests` (requests served since the start or the last DELETE, per API, and batch items)
 */
export function adminRouter(deps: AdminDeps): Router {
  const router = Router();
  router.use((req, res, next) => {
    if (basicAuthUser(req.get('Authorization'), deps.account)) return next();
    res
      .set('WWW-Authenticate', 'Basic realm="snowline-sandbox"')
      .status(401)
      .json({ error: 'the sandbox admin endpoints need the sandbox account (basic auth)' });
  });
  router.use(express.json({ limit: '64kb' }));

  router.get('/faults', (_req, res) => {
    res.json(deps.faults.describe());
  });
  router.put('/faults/:target', (req, res) => {
    const target = targetSchema.safeParse(req.params.target);
    if (!target.success)
      return res
        .status(404)
        .json({ error: `unknown fault target ${req.params.target}; use one of ${FAULT_TARGETS.join(', ')}` });
    const plan = (() => {
      try {
        return { ok: true as const, plan: deps.faults.set(target.data, req.body ?? {}) };
      } catch (err) {
        return {
          ok: false as const,
          problems:
            err instanceof z.ZodError
              ? err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
              : [String(err)],
        };
      }
    })();
    if (!plan.ok) return res.status(400).json({ error: 'invalid fault plan', problems: plan.problems });
    res.json({ target: target.data, plan: plan.plan });
  });
  router.delete('/faults{/:target}', (req, res) => {
    const given = req.params.target;
    if (given === undefined) deps.faults.clear();
    else {
      const target = targetSchema.safeParse(given);
      if (!target.success) return res.status(404).json({ error: `unknown fault target ${given}` });
      deps.faults.clear(target.data);
    }
    res.status(204).end();
  });

  router.get('/rate-limits', (_req, res) => {
    res.json({ rules: deps.rateLimits.list() });
  });
  router.put('/rate-limits', (req, res) => {
    const parsed = rateLimitRulesSchema.safeParse((req.body as { rules?: unknown } | undefined)?.rules);
    if (!parsed.success)
      return res.status(400).json({
        error: 'invalid rate-limit rules',
        problems: parsed.error.issues.map((i) => `rules.${i.path.join('.')}: ${i.message}`),
      });
    deps.rateLimits.replace(parsed.data);
    res.json({ rules: parsed.data });
  });

  router.delete('/oauth/tokens', (_req, res) => {
    deps.oauth.revokeAll();
    res.status(204).end();
  });
  router.get('/latency', (_req, res) => {
    res.json(deps.latency.describe());
  });
  router.put('/latency', (req, res) => {
    try {
      res.json(deps.latency.replace(req.body ?? {}));
    } catch (err) {
      const issues = err instanceof z.ZodError ? err.issues : [];
      res.status(400).json({
        error: 'invalid latency profile',
        problems: issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
      });
    }
  });
  router.get('/requests', (_req, res) => {
    res.json(deps.requests.describe());
  });
  router.delete('/requests', (_req, res) => {
    deps.requests.reset();
    res.status(204).end();
  });
  router.post('/reset', (_req, res) => {
    deps.reset();
    res.status(204).end();
  });
  return router;
}
