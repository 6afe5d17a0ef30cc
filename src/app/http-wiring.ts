import { apiRoutes } from '../api/api-routes';
import { createHttpApp } from '../api/http-app';
import { createLiveChanges } from '../api/live-changes';
import { createRateLimits } from '../api/rate-limits';
import type { Config } from '../config';
import { createEventControl } from '../engine/event-control';
import type { Leadership } from '../engine/leadership';
import { ticketByNumber } from '../engine/ticket-lookups';
import { alertmanagerRouters } from '../ingest/alertmanager.router';
import { webhookReceiver } from '../ingest/webhook.receiver';
import { createRuleProposals } from '../mappings/rule-proposals';
import type { RuleReloader } from '../mappings/rule-reloader';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { portfolioRules } from '../reports/rule-lint';
import type { MappingCatalog } from '../rules/mapping-catalog';
import { createIdentityUseRecorder } from '../security/identity-use-recorder';
import { createTokenVerifier } from '../security/jwt';
import { sloService } from '../slo/slo-service';
import type { Repositories, Store } from '../store';
import { SNOWLINE_VERSION } from '../version';
import type { Clients } from './clients';
import { consoleOptions } from './console-options';
import type { EngineParts } from './engine-parts';
import { rateLimitSettings, verifierOptions, webhookOptions } from './options';

const VERSION = SNOWLINE_VERSION;
/** The live view looks at the store this often while a console watches (one look for all of them). */
const LIVE_LOOK_MS = 1_000;
/** Live streams open at once per instance; beyond that consoles poll. */
const LIVE_STREAMS_MAX = 200;

/** What the HTTP side is wired to. */
export interface HttpInputs {
  store: Store;
  repos: Repositories;
  rules: RuleReloader;
  catalog: MappingCatalog;
  clients: Clients;
  parts: EngineParts;
  leadership: Leadership;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The HTTP app (API, console, live view, webhooks, readiness) and what it owns: the SLO service,
 * the request rate limits and the live view. Builds them; listens on nothing.
 */
export function buildHttp(config: Config, inputs: HttpInputs) {
  const { store, repos, rules, catalog, leadership, logger, metrics } = inputs;
  const { snClient, snBudget, connectors, limiters } = inputs.clients;
  const { engine, dispatcher, lookups, runControl, intake, breakers } = inputs.parts;
  const slo = sloService({ settings: config.observability, store, repos, logger, metrics, rules: rules.current });
  const rateLimits = createRateLimits(rateLimitSettings(config), logger);
  const liveChanges = createLiveChanges({ snapshot: repos.activity.snapshot, everyMs: LIVE_LOOK_MS, logger });
  const app = createHttpApp({
    logger,
    metrics,
    verifier: createTokenVerifier(verifierOptions(config)),
    bodyLimitBytes: config.server.bodyLimitBytes,
    version: VERSION,
    corsOrigins: config.server.corsOrigins,
    rateLimitPerMinute: config.server.rateLimitPerMinute,
    rateLimits,
    routes: apiRoutes({
      runs: repos.runs,
      outbox: repos.outbox,
      control: runControl,
      inbox: repos.inbox,
      events: createEventControl({ store, repos, onChange: () => engine.wake() }),
      audit: repos.audit,
      rules: { rules, catalog, versions: repos.ruleVersions, dispatcher, lookups },
      proposals: createRuleProposals({ dir: config.mappings.dir, catalog, rules, store, repos, logger }),
      findTicket: ticketByNumber(snClient),
      reports: { reports: repos.reports, settings: config.reports, rules: () => portfolioRules(rules.current()) },
      serviceNowBudget: snBudget,
      jwtSecret: config.security.jwtSecret,
      slo: { slos: slo.monitor.slos, openAlerts: () => repos.alerts.listOpen() },
    }),
    live: { changes: liveChanges, jwtSecret: config.security.jwtSecret, maxStreams: LIVE_STREAMS_MAX },
    console: consoleOptions(config, logger),
    recordIdentityUse: createIdentityUseRecorder({ write: repos.identityUse.record, logger }),
    serviceNowWebhook: webhookReceiver(webhookOptions(config), intake, logger, metrics),
    webhooks: alertmanagerRouters(config.observability.alertmanager, slo.alertmanagerRaiser, logger),
    readiness: async () => {
      const storeOk = await repos.watermarks.storeAnswers();
      const health = await connectors.health();
      return {
        ready: storeOk && health.servicenow?.ok === true,
        checks: {
          store: storeOk,
          leader: leadership.isLeader(),
          connectors: health,
          circuits: breakers.states(),
          rules: rules.status(),
          // Degraded limits still serve requests: shown, not a reason to take the instance out.
          rateLimits: limiters.status(),
        },
      };
    },
  });
  return { slo, rateLimits, liveChanges, app };
}
