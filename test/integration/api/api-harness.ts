import { Router } from 'express';
import { apiRoutes } from '../../../src/api/api-routes';
import { createHttpApp, type HttpAppDeps } from '../../../src/api/http-app';
import type { RouteDefinition } from '../../../src/api/route';
import { connectors } from '../../../connectors/registry';
import type { RuleRoutesDeps } from '../../../src/api/rules.routes';
import { createDispatcher } from '../../../src/engine/dispatcher';
import { createRunControl } from '../../../src/engine/run-control';
import type { TicketLookups } from '../../../src/engine/ticket-lookups';
import { mappingCatalog } from '../../../src/rules/catalog';
import { loadRuleSet } from '../../../src/rules/load-rule-set';
import type { RuleReloader } from '../../../src/rules/rule-reloader';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { createTokenVerifier, issueToken } from '../../../src/security/jwt';
import type { Role } from '../../../src/security/roles';
import { openTestStore, type TestStore } from '../../helpers/stores';

export const jwtOptions = { secret: 'api-test-secret-0123456789abcdef', issuer: 'snowline', audience: 'snowline-api' };

export const tokenFor = (subject: string, roles: Role[]) => issueToken(jwtOptions, subject, roles, 300);

/** An instance with no tickets: lookups find nothing. */
const noLookups: TicketLookups = { latestWorkNote: async () => undefined, groupsOf: async () => [], readRecord: async () => undefined };

/** The rule routes over the shipped mapping tables, with a real dispatcher on the test store. */
export function shippedRuleRoutesDeps(t: TestStore): RuleRoutesDeps {
  const catalog = mappingCatalog(connectors);
  const { ruleSet, problems } = loadRuleSet('mappings', catalog);
  if (!ruleSet) throw new Error(`shipped mappings do not load: ${JSON.stringify(problems)}`);
  const rules = { current: () => ruleSet, status: () => ({ version: ruleSet.version }) } as unknown as RuleReloader;
  const dispatcher = createDispatcher({ store: t.store, repos: t.repos, rules: rules.current, integrationUser: 'snowline', lookups: noLookups, logger: silentLogger(), metrics: createMetrics() });
  return { rules, catalog, versions: t.repos.ruleVersions, dispatcher, lookups: noLookups };
}

/** The real HTTP app over a SQLite store with the real route table (or extra test routes). */
export async function apiHarness(overrides: Partial<HttpAppDeps> & { extraRoutes?: RouteDefinition[] } = {}) {
  const t: TestStore = await openTestStore('sqlite');
  const control = createRunControl({ store: t.store, repos: t.repos, onChange: () => undefined });
  const routes = apiRoutes({ runs: t.repos.runs, control, audit: t.repos.audit, rules: shippedRuleRoutesDeps(t) });
  const app = createHttpApp({
    logger: silentLogger(), metrics: createMetrics(), verifier: createTokenVerifier(jwtOptions), bodyLimitBytes: 1024, version: 'test',
    corsOrigins: [], rateLimitPerMinute: 1000, webhooks: Router(), readiness: async () => ({ ready: true, checks: {} }),
    routes: [...routes, ...(overrides.extraRoutes ?? [])], ...overrides,
  });
  return { app, routes, store: t, close: () => t.close() };
}
