import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { ansibleConnector, ansibleLocalConnector, createAnsibleRuntime } from '../../connectors/ansible';
import { cmdbConnector, cmdbSyncJobs } from '../../connectors/cmdb';
import { createSharedLimiters } from '../../connectors/rate-limiters';
import type { ConnectorDeps, ConnectorDescriptor, ConnectorRuntime } from '../../connectors/connector';
import { createHttpRuntime, endpointClients, httpConnector, type EndpointClient } from '../../connectors/http';
import { createNotifyRuntime, notifyConnector } from '../../connectors/notify';
import { createChannels } from '../../connectors/notify/client';
import { connectors as connectorRegistry } from '../../connectors/registry';
import { createServiceNowRuntime, servicenowConnector } from '../../connectors/servicenow';
import { ServiceNowClient } from '../../connectors/servicenow/client';
import { apiRoutes } from '../api/api-routes';
import { createHttpApp } from '../api/http-app';
import { createRateLimits } from '../api/rate-limits';
import { closeServer, serverOptions } from '../api/http-server';
import { createIdentityUseRecorder } from '../security/identity-use-recorder';
import { changeManagement } from '../change/change-lifecycle';
import { serviceNowChangeSource } from '../change/change-source';
import { freezeMs, usesSandbox, type Config } from '../config';
import { consoleOptions } from './console-options';
import { connectorSet } from '../engine/connector-set';
import { connectorSlots } from '../engine/connector-slots';
import { configuredConnectorLimits } from './connector-limits';
import { createDispatcher } from '../engine/dispatcher';
import { createEngine } from '../engine/engine';
import { createEventControl } from '../engine/event-control';
import { combineHooks, failureHooks } from '../engine/failure-hooks';
import { markWatchingSince } from '../engine/event-versions';
import { createWritebackCompletion } from '../engine/writeback-completion';
import { createCircuitBreakers } from '../engine/circuit-breakers';
import { createGateRegistry, manualApprovalGate, type ServiceNowReader } from '../engine/gates';
import { createOutboxSender } from '../engine/outbox-sender';
import { serviceNowWritebackTarget } from './writeback-target';
import { createRunAdmission } from '../engine/run-admission';
import { createRunControl } from '../engine/run-control';
import { createStepWorker } from '../engine/step-worker';
import { serviceNowLookups, ticketByNumber } from '../engine/ticket-lookups';
import { ConfigError } from '../errors';
import { createIntake } from '../ingest/intake';
import { createPoller } from '../ingest/poller';
import { createRuleSchedules } from '../ingest/rule-schedules';
import { createScheduledQueries } from '../ingest/scheduled-query';
import { webhookRouter } from '../ingest/webhook.router';
import { createLogger, type Logger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { startTracing } from '../observability/tracing';
import { sloService } from '../slo/slo-service';
import { alertmanagerRouters } from '../ingest/alertmanager.router';
import { registerSecret } from '../observability/redact';
import { instanceAuth } from '../config/servicenow-auth';
import { listenOn } from '../api/listen';
import { controllerClientOf, hasController } from './controller-client';
import { SNOWLINE_VERSION } from '../version';
import type { ServiceNowAuth } from '../../connectors/servicenow/schemas';
import { mappingCatalog } from '../rules/catalog';
import { createRuleProposals } from '../mappings/rule-proposals';
import { createRuleReloader, type ReloadResult } from '../mappings/rule-reloader';
import { formatProblem } from '../rules/validation-problem';
import { defaultOnFailureProblems } from '../rules/validate-default-hooks';
import { soleInstance, type Leadership } from '../engine/leadership';
import { createPostgresLeadership } from '../engine/postgres-leadership';
import { everySeconds, scheduleLeaderJobs } from '../engine/scheduled-jobs';
import { createTokenVerifier } from '../security/jwt';
import { createPrivilegeBroker } from '../security/privilege-broker';
import { createPrivilegeProviders } from '../security/privilege-provider';
import { processSecretBox } from '../engine/run-secrets';
import { secretBoxFromConfig } from '../security/secret-box';
import { assertProductionSecrets } from './secret-strength';
import { createAnchorWriter } from '../security/audit-anchor';
import { anchorSettings, rateLimitSettings, verifierOptions, webhookOptions } from './options';
import { openStore, repositories } from '../store';
import { workSignalsFor } from '../store/work-signals';
import { postgresConnection } from '../store/database';
import { retentionFromConfig } from './retention';
import { portfolioRules } from '../reports/rule-lint';
import { createCallBudget, reservoirLeft } from '../observability/call-budget';
import { createLiveChanges } from '../api/live-changes';

const VERSION = SNOWLINE_VERSION;
/** The live view looks at the store this often while a console watches (one look for all of them). */
const LIVE_LOOK_MS = 1_000;
/** Live streams open at once per instance; beyond that consoles poll. */
const LIVE_STREAMS_MAX = 200;

/** A running Snowline: what `serve` starts and SIGTERM stops. */
export interface RunningApp {
  url: string;
  sandboxUrl?: string;
  /** Reads the mapping tables again now (SIGHUP, `snowline rules reload`). */
  reloadRules(): Promise<ReloadResult>;
  stop(): Promise<void>;
}

/** The built-in sandbox's address, when `serve` started one (src/cli/start-serving.ts): the app never starts it itself. */
export interface BuiltInInstance {
  sandboxUrl?: string;
}

/** The ServiceNow instance: SERVICENOW_URL, else the built-in sandbox, which must already be listening. */
function instanceUrlOf(config: Config, instance: BuiltInInstance): string {
  const url = usesSandbox(config) ? instance.sandboxUrl : config.servicenow.url;
  if (!url) throw new ConfigError(['servicenow.url: not set (SERVICENOW_URL), and no built-in sandbox was started']);
  return url;
}

/**
 * The composition root: builds every part from the configuration, wires them, and starts them in
 * an order where nothing receives work before it can handle it.
 */
export async function startApp(
  config: Config,
  logger: Logger = createLogger(config.logging.level),
  instance: BuiltInInstance = {},
): Promise<RunningApp> {
  assertProductionSecrets(config);
  const sn = config.servicenow;
  for (const secret of [
    config.redis.url,
    config.security.jwtSecret,
    config.security.webhookSecret,
    sn.password,
    sn.clientSecret,
    sn.refreshToken,
    sn.apiKey,
    sn.token,
    config.awx.token,
    config.observability.alertmanager?.bearerToken,
    config.observability.alertmanager?.password,
  ])
    registerSecret(secret);
  for (const provider of Object.values(config.privilege.providers))
    registerSecret(provider.type === 'vault' ? provider.token : provider.password);
  for (const channel of Object.values(config.connectors.notify?.channels ?? {}))
    registerSecret(channel.type === 'smtp' ? channel.password : channel.webhookUrl);
  const tracing = startTracing(config.observability.tracing);
  const instanceUrl = instanceUrlOf(config, instance);
  const sandboxUrl = usesSandbox(config) ? instanceUrl : undefined;
  logger.info(`Snowline ${VERSION} starting against ServiceNow instance ${instanceUrl}`);

  const store = await openStore(config.store);
  const repos = repositories(store);
  const metrics = createMetrics();
  const owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  // SQLite is one process by construction: leases left by a crashed predecessor are void now.
  if (store.dialect === 'sqlite') await repos.leases.voidAll();
  // From now on, a record Snowline sees for the first time counts as inserted (event-versions.ts).
  await markWatchingSince(repos, Date.now());

  const catalog = mappingCatalog(connectorRegistry);
  const { reloader: rules, problems } = await createRuleReloader({
    dir: config.mappings.dir,
    catalog,
    versions: repos.ruleVersions,
    logger,
    metrics,
    loadedBy: `serve@${hostname()}`,
    missingConnectors: hasController(config)
      ? undefined
      : new Map([['ansible', 'no controller configured: set AWX_URL and AWX_TOKEN']]),
  });
  if (!rules) throw new ConfigError(problems.map(formatProblem));
  const onFailureProblems = defaultOnFailureProblems(config.engine.onFailure, catalog);
  if (onFailureProblems.length > 0) throw new ConfigError(onFailureProblems);
  logger.info('mapping tables loaded', { version: rules.current().version, dir: config.mappings.dir });

  const integrationUser = config.servicenow.url ? (config.servicenow.username ?? '') : config.sandbox.user;
  const snConfig = {
    url: instanceUrl,
    auth: config.servicenow.url
      ? instanceAuthOrThrow(config)
      : { type: 'basic' as const, username: integrationUser, password: config.sandbox.password },
    extraHeaders: config.servicenow.extraHeaders,
    attachmentMaxBytes: config.servicenow.attachmentMaxBytes,
    requestsPerHour: config.servicenow.requestsPerHour,
    maxConcurrent: config.servicenow.maxConcurrent,
    timeoutMs: config.servicenow.timeoutMs,
  };
  // With Redis, the instance's and the controller's rate limits hold for the whole fleet.
  const limiters = createSharedLimiters({
    redisUrl: config.redis.url,
    logger,
    onDegraded: (degraded) => metrics.rateLimitsDegraded.set(degraded ? 1 : 0),
  });
  const snBudget = createCallBudget({
    limitPerHour: snConfig.requestsPerHour,
    remaining: () => reservoirLeft(snClient.limiter),
  });
  const snClient = new ServiceNowClient(snConfig, {
    logger,
    onRequestSent: snBudget.record,
    limiter: limiters.shared(`servicenow:${new URL(instanceUrl).host}`, {
      maxConcurrent: snConfig.maxConcurrent,
      requestsPerHour: snConfig.requestsPerHour,
      requestTimeoutMs: snConfig.timeoutMs,
    }),
  });
  // One client per REST endpoint, shared by the http connector and CMDB syncs reading inventories.
  const httpEndpoints = config.connectors.http ? endpointClients(config.connectors.http, { limiters }) : undefined;
  // One controller client for the ansible connector and the CMDB syncs reading job artifacts.
  const controllerClient = controllerClientOf(config, sandboxUrl, limiters, logger);
  // Notification channels share their published limits across the fleet through Redis too.
  const notify = config.connectors.notify
    ? createNotifyRuntime(createChannels(config.connectors.notify, limiters))
    : undefined;
  const connectors = connectorSet(
    {
      // One client, so one rate limiter per instance: write-backs, lookups, polls and steps share its budget.
      servicenow: { descriptor: servicenowConnector, runtime: createServiceNowRuntime(snClient) },
      ...(controllerClient
        ? { ansible: { descriptor: ansibleConnector, runtime: createAnsibleRuntime(controllerClient) } }
        : {}),
      ...optionalConnectors(config.connectors, { logger, servicenow: snClient, httpEndpoints, limiters }),
      ...(notify ? { notify: { descriptor: notifyConnector, runtime: notify } } : {}),
    },
    configuredConnectorLimits(config),
  );

  const retry = config.engine.retry;
  const target = serviceNowWritebackTarget(snClient, { batch: config.servicenow.batch, logger });
  const lookups = serviceNowLookups(snClient, { groupCacheMs: config.mappings.groupCacheSeconds * 1000 });
  const secretBox = secretBoxFromConfig(config.secrets) ?? processSecretBox();
  const usesSecretParams = [...rules.current().byTable.values()]
    .flat()
    .some((rule) => rule.definition.secret_params.length > 0);
  if (!config.secrets.key && usesSecretParams)
    logger.warn(
      'no secrets.key (env SNOWLINE_SECRET_KEY): secret params of runs are sealed under a key that lives as long as this process; a run interrupted by a restart cannot open them',
    );
  const dispatcher = createDispatcher({
    store,
    repos,
    rules: rules.current,
    integrationUser,
    lookups,
    logger,
    metrics,
    maxActiveRuns: config.engine.maxActiveRuns,
    secretBox,
    eventRetry: {
      baseDelayMs: retry.baseDelayMs,
      maxDelayMs: retry.maxDelayMs,
      deadlineMs: config.engine.eventRetryDeadlineSeconds * 1000,
    },
  });
  const change = changeManagement({
    store,
    repos,
    source: serviceNowChangeSource(snClient),
    freezes: config.change.freezes.map((f) => ({ name: f.name, startMs: freezeMs(f.start), endMs: freezeMs(f.end) })),
    blackoutSchedules: config.change.blackoutSchedules,
    recheckMs: config.change.recheckSeconds * 1000,
    attachmentMaxBytes: config.servicenow.attachmentMaxBytes,
  });
  // Gates steps may name: the built-in approval and change management's `change` gate.
  const gates = createGateRegistry([manualApprovalGate(repos.approvals), change.gate]);
  const servicenowReader: ServiceNowReader = {
    getRecord: (table, sysId, fields) => snClient.getRecord(table, sysId, { fields }),
    query: async (table, query, options = {}) =>
      (await snClient.query(table, { query, fields: options.fields, limit: options.limit })).rows,
  };
  const breakers = createCircuitBreakers({
    settings: (name) => config.engine.breakers[name] ?? connectors.defaults(name)?.breaker,
    classify: connectors.classify,
    metrics,
    logger,
  });
  const privilege = createPrivilegeBroker({
    store,
    repos,
    providers: createPrivilegeProviders(config.privilege),
    credentials: config.privilege.credentials,
    leaseSeconds: config.privilege.leaseSeconds,
    logger,
  });
  const stepWorker = createStepWorker({
    store,
    repos,
    connectors,
    logger,
    metrics,
    owner,
    leaseMs: config.engine.leaseMs,
    retry,
    retryDeadlineMs: retry.deadlineSeconds * 1000,
    gates,
    servicenow: servicenowReader,
    gateRecheckMs: config.engine.gateRecheckMs,
    breakers,
    hooks: combineHooks(change.hooks, failureHooks({ repos, defaultSteps: config.engine.onFailure })),
    attachmentMaxBytes: config.servicenow.attachmentMaxBytes,
    privilege,
    secretBox,
  });
  const outboxSender = createOutboxSender({
    repos,
    target,
    logger,
    metrics,
    owner,
    retry,
    deadlineMs: retry.writebackDeadlineSeconds * 1000,
    leaseMs: config.engine.leaseMs,
  });
  const admission = createRunAdmission({ store, repos, logger, maxActiveRuns: config.engine.maxActiveRuns, metrics });
  const signals = workSignalsFor(store, config.store, logger);
  const engine = createEngine({
    repos,
    signals,
    dispatcher,
    stepWorker,
    outboxSender,
    writebacks: createWritebackCompletion({ store, repos, logger, metrics }),
    admission,
    logger,
    metrics,
    owner,
    leaseMs: config.engine.leaseMs,
    tickMs: config.engine.tickMs,
    concurrency: config.engine.workerConcurrency,
    outbox: {
      inFlight: config.servicenow.writebacksInFlight,
      // One delivery fills about one batch: a ticket's PATCH and its upload's lookup are a call each.
      entriesPerDelivery: config.servicenow.batch.enabled ? config.servicenow.batch.maxItems : 20,
      lingerMs: config.servicenow.batch.enabled ? config.servicenow.batch.lingerMs : 0,
    },
    connectorSlots: connectorSlots(connectors.names(), (name) => connectors.limit(name)?.maxConcurrent),
  });
  const intake = createIntake({ inbox: repos.inbox, metrics, onAccepted: () => engine.wake() });
  const runControl = createRunControl({ store, repos, onChange: () => engine.wake() });
  const poller = createPoller({
    client: snClient,
    intake,
    watermarks: repos.watermarks,
    logger,
    metrics,
    tables: config.servicenow.tables,
    overlapSeconds: config.servicenow.pollOverlapSeconds,
  });
  const leadership = await leadershipOf(config, logger);

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
    webhooks: [
      webhookRouter(webhookOptions(config), intake, logger, metrics),
      ...alertmanagerRouters(config.observability.alertmanager, slo.alertmanagerRaiser, logger),
    ],
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

  const anchorAudit = createAnchorWriter(repos.audit, anchorSettings(config), logger);
  engine.start();
  if (config.mappings.hotReload) rules.watch();
  const cmdbSyncs = config.connectors.cmdb
    ? cmdbSyncJobs(config.connectors.cmdb, {
        client: snClient,
        sources: { controller: controllerClient, endpoints: httpEndpoints ?? new Map() },
        logger,
        metrics,
      })
    : [];
  const scheduled = scheduleLeaderJobs(
    [
      { name: 'servicenow-poller', cron: everySeconds(config.servicenow.pollSeconds), run: () => poller.pollOnce() },
      {
        name: 'privilege-release-sweep',
        cron: everySeconds(config.privilege.releaseSweepSeconds),
        run: () => privilege.sweep(),
      },
      { name: 'audit-anchor', cron: everySeconds(config.security.auditAnchorSeconds), run: () => anchorAudit() },
      {
        name: 'retention',
        cron: config.retention.schedule,
        run: () => retentionFromConfig(config, repos, logger).run(),
      },
      ...cmdbSyncs,
      ...slo.jobs,
    ],
    leadership,
    logger,
  );
  // Scheduled rules query on the leader, like the poller; a reload re-arms them.
  const ruleSchedules = createRuleSchedules({
    rules: rules.current,
    leadership,
    runTick: createScheduledQueries({ client: snClient, intake, logger }),
    logger,
  });
  ruleSchedules.sync();
  rules.onApplied(() => ruleSchedules.sync());
  /** Stops intake of new work; says whether this instance was the leader (it anchors the audit last). */
  const stopParts = async (): Promise<boolean> => {
    const wasLeader = leadership.isLeader();
    liveChanges.close();
    await scheduled.stop();
    await ruleSchedules.stop();
    await leadership.stop();
    await rules.stop();
    return wasLeader;
  };
  /** Drains the engine (and the server, when there is one) within the grace, then closes the rest. */
  const stopWork = async (wasLeader: boolean, server?: Server) => {
    // Both within the grace: in-flight requests and steps finish or are cut off, leases released.
    await Promise.all([
      server && closeServer(server, config.server.shutdownGraceMs),
      engine.stop(config.server.shutdownGraceMs),
    ]);
    // The last entries written before the exit are anchored too, so deleting them is detected.
    if (wasLeader)
      await anchorAudit().catch((err: Error) => logger.warn('audit anchor failed', { error: err.message }));
    breakers.shutdown();
    await snClient.close();
    await controllerClient?.close();
    await notify?.close();
    await limiters.close();
    await rateLimits.close();
    await signals.close();
    await store.close();
    await tracing.stop();
  };
  const server = await listenOn(app, config.server.port, config.server.host, {
    path: 'server.port',
    portEnv: 'PORT',
    hostEnv: 'HOST',
    options: serverOptions(config.server),
  }).catch(async (err: unknown) => {
    // Nothing started may outlive a failed start (a test, or a supervisor that retries in-process).
    await stopWork(await stopParts());
    throw err;
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  logger.info('Snowline is serving', { url, store: store.dialect, poll: `${config.servicenow.pollSeconds} s` });

  return {
    url,
    sandboxUrl,
    reloadRules: () => rules.reload(`signal@${hostname()}`),
    async stop() {
      await stopWork(await stopParts(), server);
      logger.info('Snowline stopped');
    },
  };
}

/** SQLite serves one process, its own leader; on PostgreSQL the instances elect one by advisory lock. */
async function leadershipOf(config: Config, logger: Logger): Promise<Leadership> {
  if (!config.store.postgresUrl) return soleInstance;
  const leadership = createPostgresLeadership({
    connection: postgresConnection(config.store.postgresUrl, config.store.postgresSchema),
    checkMs: config.engine.leaderCheckMs,
    logger,
  });
  await leadership.start();
  return leadership;
}

/** loadConfig has already refused unusable auth settings; this only narrows the type. */
function instanceAuthOrThrow(config: Config): ServiceNowAuth {
  const auth = instanceAuth(config.servicenow);
  if (!auth.ok) throw new ConfigError(auth.problems);
  return auth.auth;
}

/** The connectors whose config section is present (`connectors.http`, `.ansible_local`, `.cmdb`). */
function optionalConnectors(
  sections: Config['connectors'],
  deps: ConnectorDeps & { servicenow: ServiceNowClient; httpEndpoints?: Map<string, EndpointClient> },
) {
  const built: Record<string, { descriptor: ConnectorDescriptor; runtime: ConnectorRuntime }> = {};
  if (deps.httpEndpoints) built.http = { descriptor: httpConnector, runtime: createHttpRuntime(deps.httpEndpoints) };
  if (sections.ansible_local)
    built.ansible_local = {
      descriptor: ansibleLocalConnector,
      runtime: ansibleLocalConnector.create(sections.ansible_local, deps),
    };
  if (sections.cmdb) built.cmdb = { descriptor: cmdbConnector, runtime: cmdbConnector.create(sections.cmdb, deps) };
  return built;
}
