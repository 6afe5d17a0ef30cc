import type { ConnectorDeps, ConnectorDescriptor } from '../connector';
import { createEc2InstancesHandler, ec2InstancesAction } from './actions/aws-ec2-instances.action';
import { createRequestHandler, requestAction } from './actions/request.action';
import { createEndpointLimiters, effectiveLimit } from '../endpoint-limits';
import type { SharedLimiters } from '../rate-limiters';
import { EndpointClient } from './client';
import { classifyError } from './errors';
import { httpConfigSchema, type HttpConfig } from './schemas';

export { EndpointClient } from './client';
export { signV4 } from './sigv4';
export { readResponsePath } from './response-path';
export { httpConfigSchema } from './schemas';
export type { HttpConfig, HttpConfigInput, RequestParams, RequestResult } from './schemas';

export const httpActions = {
  request: requestAction,
  aws_ec2_instances: ec2InstancesAction,
};

/**
 * Generic REST and cloud APIs over named endpoints with bearer, basic, API-key, OAuth2
 * client-credentials or AWS SigV4 auth. Endpoints that honour an idempotency header get the
 * step's key in it.
 */
export const httpConnector: ConnectorDescriptor<HttpConfig> = {
  name: 'http',
  description: 'REST and cloud APIs: generic requests, AWS EC2 reboot/stop/start',
  config: httpConfigSchema,
  actions: httpActions,
  acceptsIdempotencyKeys: true,
  defaults: {
    maxConcurrent: 8,
    requestsPerHour: undefined,
    retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000 },
    breaker: { failureThreshold: 5, resetAfterMs: 30_000 },
  },
  classify: classifyError,
  create(config: HttpConfig, deps: ConnectorDeps & { now?: () => number }) {
    return createHttpRuntime(endpointClients(config, { now: deps.now, limiters: deps.limiters }));
  },
};

/** One client per configured endpoint (each with its own token cache), limited per host. */
export function endpointClients(
  config: HttpConfig,
  deps: { now?: () => number; limiters?: SharedLimiters } = {},
): Map<string, EndpointClient> {
  const limits = createEndpointLimiters('http', effectiveLimit(httpConnector.defaults, config), deps.limiters);
  return new Map(
    Object.entries(config.endpoints).map(([name, e]) => [
      name,
      new EndpointClient(name, e, deps.now, limits.forEndpoint(new URL(e.baseUrl).host)),
    ]),
  );
}

/** The connector over endpoint clients built once, so other users of an endpoint (CMDB syncs) share its token and limit. */
export function createHttpRuntime(endpoints: Map<string, EndpointClient>) {
  return {
    actions: { request: createRequestHandler(endpoints), aws_ec2_instances: createEc2InstancesHandler(endpoints) },
    async health() {
      // Endpoints are arbitrary APIs with no common health path; a failing one shows in its steps.
      return { ok: true, detail: `${endpoints.size} endpoints configured` };
    },
  };
}
