import { ansibleConnector, ansibleLocalConnector, createAnsibleRuntime } from '../../connectors/ansible';
import { cmdbConnector } from '../../connectors/cmdb';
import { createSharedLimiters } from '../../connectors/rate-limiters';
import type { ConnectorDeps, ConnectorDescriptor, ConnectorRuntime } from '../../connectors/connector';
import { createHttpRuntime, endpointClients, httpConnector, type EndpointClient } from '../../connectors/http';
import { createNotifyRuntime, notifyConnector } from '../../connectors/notify';
import { createChannels } from '../../connectors/notify/client';
import { createServiceNowRuntime, servicenowConnector } from '../../connectors/servicenow';
import { ServiceNowClient } from '../../connectors/servicenow/client';
import type { ServiceNowAuth } from '../../connectors/servicenow/schemas';
import { usesSandbox, type Config } from '../config';
import { instanceAuth } from '../config/servicenow-auth';
import { connectorSet } from '../engine/connector-set';
import { ConfigError } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { createCallBudget, reservoirLeft } from '../observability/call-budget';
import { configuredConnectorLimits } from './connector-limits';
import { controllerClientOf } from './controller-client';

/** The built-in sandbox's address, when `serve` started one (src/cli/start-serving.ts): the app never starts it itself. */
export interface BuiltInInstance {
  sandboxUrl?: string;
}

/** The ServiceNow instance: SERVICENOW_URL, else the built-in sandbox, which must already be listening. */
export function instanceUrlOf(config: Config, instance: BuiltInInstance): string {
  const url = usesSandbox(config) ? instance.sandboxUrl : config.servicenow.url;
  if (!url) throw new ConfigError(['servicenow.url: not set (SERVICENOW_URL), and no built-in sandbox was started']);
  return url;
}

/**
 * The clients of the outside world (the ServiceNow instance, the controller, REST endpoints,
 * notification channels), their shared rate limits, and the connector set built on them.
 */
export function buildClients(
  config: Config,
  deps: { instanceUrl: string; sandboxUrl?: string; logger: Logger; metrics: Metrics },
) {
  const { instanceUrl, sandboxUrl, logger, metrics } = deps;
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
  return { integrationUser, limiters, snBudget, snClient, httpEndpoints, controllerClient, notify, connectors };
}

/** What buildClients returns: the clients, their limits and the connector set. */
export type Clients = ReturnType<typeof buildClients>;

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
