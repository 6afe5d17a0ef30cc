import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { connectors as connectorRegistry } from '../../connectors/registry';
import { listenOn } from '../api/listen';
import { serverOptions } from '../api/http-server';
import { usesSandbox, type Config } from '../config';
import { markWatchingSince } from '../engine/event-versions';
import { ConfigError } from '../errors';
import { createRuleReloader, type ReloadResult } from '../mappings/rule-reloader';
import { createLogger, type Logger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { registerSecret } from '../observability/redact';
import { startTracing } from '../observability/tracing';
import { mappingCatalog } from '../rules/catalog';
import { defaultOnFailureProblems } from '../rules/validate-default-hooks';
import { formatProblem } from '../rules/validation-problem';
import { createAnchorWriter } from '../security/audit-anchor';
import { openStore, repositories } from '../store';
import { SNOWLINE_VERSION } from '../version';
import { buildClients, instanceUrlOf, type BuiltInInstance } from './clients';
import { hasController } from './controller-client';
import { buildEngine } from './engine-parts';
import { buildHttp } from './http-wiring';
import { leadershipOf, startLeaderJobs } from './leader-jobs';
import { anchorSettings } from './options';
import { assertProductionSecrets } from './secret-strength';
import { shutdownOrder } from './shutdown';

export type { BuiltInInstance } from './clients';

const VERSION = SNOWLINE_VERSION;

/** A running Snowline: what `serve` starts and SIGTERM stops. */
export interface RunningApp {
  url: string;
  sandboxUrl?: string;
  /** Reads the mapping tables again now (SIGHUP, `snowline rules reload`). */
  reloadRules(): Promise<ReloadResult>;
  stop(): Promise<void>;
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

  const store = await openStore({ ...config.store, checkpointInBackground: true });
  const repos = repositories(store);
  const metrics = createMetrics();
  const owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  // SQLite is one process by construction: leases left by a crashed predecessor are void now,
  // but for the write-backs it was sending (see voidAbandoned).
  if (store.dialect === 'sqlite') await repos.leases.voidAbandoned();
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

  const clients = buildClients(config, { instanceUrl, sandboxUrl, logger, metrics });
  const { integrationUser, snClient } = clients;

  const parts = buildEngine(config, {
    store,
    repos,
    rules,
    integrationUser,
    snClient,
    connectors: clients.connectors,
    logger,
    metrics,
    owner,
  });
  const { engine } = parts;

  const leadership = await leadershipOf(config, logger);

  const { slo, rateLimits, liveChanges, app } = buildHttp(config, {
    store,
    repos,
    rules,
    catalog,
    clients,
    parts,
    leadership,
    logger,
    metrics,
  });

  const anchorAudit = createAnchorWriter(repos.audit, anchorSettings(config), logger);
  engine.start();
  if (config.mappings.hotReload) rules.watch();
  const { scheduled, ruleSchedules } = startLeaderJobs(config, {
    repos,
    rules,
    clients,
    parts,
    leadership,
    anchorAudit,
    sloJobs: slo.jobs,
    logger,
    metrics,
  });
  const { stopParts, stopWork } = shutdownOrder({
    config,
    logger,
    store,
    tracing,
    rules,
    leadership,
    liveChanges,
    scheduled,
    ruleSchedules,
    anchorAudit,
    rateLimits,
    clients,
    parts,
  });
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
