import { Router } from 'express';
import { apiRoutes } from '../../../src/api/api-routes';
import { createHttpApp, type HttpAppDeps } from '../../../src/api/http-app';
import type { RouteDefinition } from '../../../src/api/route';
import { createRunControl } from '../../../src/engine/run-control';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { createTokenVerifier, issueToken } from '../../../src/security/jwt';
import type { Role } from '../../../src/security/roles';
import { openTestStore, type TestStore } from '../../helpers/stores';

export const jwtOptions = { secret: 'api-test-secret-0123456789abcdef', issuer: 'snowline', audience: 'snowline-api' };

export const tokenFor = (subject: string, roles: Role[]) => issueToken(jwtOptions, subject, roles, 300);

/** The real HTTP app over a SQLite store with the real route table (or extra test routes). */
export async function apiHarness(overrides: Partial<HttpAppDeps> & { extraRoutes?: RouteDefinition[] } = {}) {
  const t: TestStore = await openTestStore('sqlite');
  const control = createRunControl({ store: t.store, repos: t.repos, onChange: () => undefined });
  const routes = apiRoutes({ runs: t.repos.runs, control, audit: t.repos.audit });
  const app = createHttpApp({
    logger: silentLogger(), metrics: createMetrics(), verifier: createTokenVerifier(jwtOptions), bodyLimitBytes: 1024, version: 'test',
    corsOrigins: [], rateLimitPerMinute: 1000, webhooks: Router(), readiness: async () => ({ ready: true, checks: {} }),
    routes: [...routes, ...(overrides.extraRoutes ?? [])], ...overrides,
  });
  return { app, routes, store: t, close: () => t.close() };
}
