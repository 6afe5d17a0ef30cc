import { cpSync, mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { apiRoutes, type ApiDeps } from '../../../src/api/api-routes';
import { createHttpApp, type HttpAppDeps } from '../../../src/api/http-app';
import type { RateLimits } from '../../../src/api/rate-limits';
import { createIntake } from '../../../src/ingest/intake';
import { webhookReceiver } from '../../../src/ingest/webhook.receiver';
import type { RouteDefinition } from '../../../src/api/route';
import { connectors } from '../../../connectors/registry';
import { createDispatcher } from '../../../src/engine/dispatcher';
import { createEventControl } from '../../../src/engine/event-control';
import { createRunControl } from '../../../src/engine/run-control';
import type { TicketLookups } from '../../../src/engine/ticket-lookups';
import { mappingCatalog } from '../../../src/rules/catalog';
import { createRuleProposals } from '../../../src/mappings/rule-proposals';
import { createRuleReloader } from '../../../src/mappings/rule-reloader';
import { portfolioRules } from '../../../src/reports/rule-lint';
import { createCallBudget } from '../../../src/observability/call-budget';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { createTokenVerifier, issueToken } from '../../../src/security/jwt';
import type { Role } from '../../../src/security/roles';
import { openTestStore, type TestStore } from '../../helpers/stores';

export const jwtOptions = { secret: 'api-test-secret-0123456789abcdef', issuer: 'snowline', audience: 'snowline-api' };

export const tokenFor = (subject: string, roles: Role[]) => issueToken(jwtOptions, subject, roles, 300);

/**
 * The HTTP surface with ServiceNow's webhook only (signed with `secret`), committing into `inbox`
 * and telling `onAccepted` of each new event; limits as given (default: createHttpApp's own).
 */
export function webhookHttpApp(options: {
  inbox: TestStore['repos']['inbox'];
  secret: string;
  bodyLimitBytes?: number;
  rateLimits?: RateLimits;
  onAccepted?: () => void;
}) {
  const logger = silentLogger();
  const metrics = createMetrics();
  const intake = createIntake({ inbox: options.inbox, metrics, onAccepted: options.onAccepted ?? (() => undefined) });
  const webhook = {
    secret: options.secret,
    replayWindowSeconds: 300,
    bodyLimitBytes: options.bodyLimitBytes ?? 1 << 20,
  };
  return createHttpApp({
    logger,
    metrics,
    verifier: createTokenVerifier(jwtOptions),
    bodyLimitBytes: 1 << 20,
    version: 'test',
    corsOrigins: [],
    rateLimitPerMinute: 1000,
    rateLimits: options.rateLimits,
    serviceNowWebhook: webhookReceiver(webhook, intake, logger, metrics),
    readiness: async () => ({ ready: true, checks: {} }),
    routes: [],
  });
}

/** An instance with no tickets: lookups find nothing. */
const noLookups: TicketLookups = {
  latestWorkNote: async () => undefined,
  groupsOf: async () => [],
  readRecord: async () => undefined,
};

/**
 * The API's dependencies over the test store, with the shipped mapping tables copied into the test
 * store's own temp directory (removed by its close) and loaded by a real reloader: changes made
 * through the API are written there, never into the repository's mappings/.
 */
export async function shippedApiDeps(t: TestStore): Promise<ApiDeps & { mappingsDir: string }> {
  const catalog = mappingCatalog(connectors);
  const mappingsDir = mkdtempSync(join(dirname(t.options.sqlitePath), 'mappings-'));
  cpSync('mappings', mappingsDir, { recursive: true });
  const logger = silentLogger();
  const { reloader: rules, problems } = await createRuleReloader({
    dir: mappingsDir,
    catalog,
    versions: t.repos.ruleVersions,
    logger,
    metrics: createMetrics(),
    loadedBy: 'test@host',
  });
  if (!rules) throw new Error(`shipped mappings do not load: ${JSON.stringify(problems)}`);
  const dispatcher = createDispatcher({
    store: t.store,
    repos: t.repos,
    rules: rules.current,
    integrationUser: 'snowline',
    lookups: noLookups,
    logger,
    metrics: createMetrics(),
  });
  return {
    runs: t.repos.runs,
    outbox: t.repos.outbox,
    control: createRunControl({
      store: t.store,
      repos: t.repos,
      logger,
      metrics: createMetrics(),
      onChange: () => undefined,
    }),
    inbox: t.repos.inbox,
    events: createEventControl({ store: t.store, repos: t.repos }),
    audit: t.repos.audit,
    rules: { rules, catalog, versions: t.repos.ruleVersions, dispatcher, lookups: noLookups },
    proposals: createRuleProposals({ dir: mappingsDir, catalog, rules, store: t.store, repos: t.repos, logger }),
    reports: {
      reports: t.repos.reports,
      settings: { manualMinutes: {}, defaultManualMinutes: 0, slas: {}, deprecated: [] },
      rules: () => portfolioRules(rules.current()),
    },
    jwtSecret: jwtOptions.secret,
    serviceNowBudget: createCallBudget({ limitPerHour: 3000, remaining: async () => 2990 }),
    mappingsDir,
  };
}

/** The real HTTP app over a SQLite store with the real route table (or extra test routes). */
export async function apiHarness(overrides: Partial<HttpAppDeps> & { extraRoutes?: RouteDefinition[] } = {}) {
  const t: TestStore = await openTestStore('sqlite');
  const deps = await shippedApiDeps(t);
  const routes = apiRoutes(deps);
  const app = createHttpApp({
    logger: silentLogger(),
    metrics: createMetrics(),
    verifier: createTokenVerifier(jwtOptions),
    bodyLimitBytes: 1024,
    version: 'test',
    corsOrigins: [],
    rateLimitPerMinute: 1000,
    readiness: async () => ({ ready: true, checks: {} }),
    routes: [...routes, ...(overrides.extraRoutes ?? [])],
    ...overrides,
  });
  return { app, routes, store: t, mappingsDir: deps.mappingsDir, close: () => t.close() };
}
