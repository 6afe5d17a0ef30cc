import { ConfigError } from '../../src/errors';
import type { ConnectorDeps, ConnectorDescriptor } from '../connector';
import { createEndpointLimiters, effectiveLimit, limitActions } from '../endpoint-limits';
import { ServiceNowClient } from '../servicenow/client';
import { classifyError as classifyServiceNowError } from '../servicenow/errors';
import { createRegisterServerHandler, registerServerAction } from './actions/register-server.action';
import { createUpsertCisHandler, upsertCisAction } from './actions/upsert-cis.action';
import { cmdbConfigSchema, type CmdbConfig } from './schemas';

export { upsertCis, relationProblems } from './reconcile';
export { syncCis, changedCis } from './sync';
export type { SyncReport } from './sync';
export type { SyncSource } from './schemas';
export { cmdbSyncJobs, runCmdbSync } from './scheduled-sync';
export { ciFromAnsibleFacts } from './ansible-facts';
export { cmdbConfigSchema } from './schemas';
export type { CiItem, CiRelation, CmdbConfig, SyncJobConfig, UpsertResult } from './schemas';

export const cmdbActions = {
  upsert_cis: upsertCisAction,
  register_server: registerServerAction,
};

/**
 * The CMDB through ServiceNow's Identification and Reconciliation API: never raw inserts into
 * cmdb tables. Uses the instance of its own `servicenow` section, or the client the engine
 * passes (`deps.servicenow`).
 */
export const cmdbConnector: ConnectorDescriptor<CmdbConfig> = {
  name: 'cmdb',
  description: 'CMDB: upsert CIs and relations through the IRE, register servers from Ansible facts',
  config: cmdbConfigSchema,
  actions: cmdbActions,
  // The IRE identifies CIs, so repeating a call is harmless: that is its idempotency.
  acceptsIdempotencyKeys: true,
  defaults: {
    maxConcurrent: 2,
    requestsPerHour: undefined,
    retry: { maxAttempts: 5, baseDelayMs: 2000, maxDelayMs: 60_000 },
    breaker: { failureThreshold: 5, resetAfterMs: 60_000 },
  },
  classify: classifyServiceNowError,
  create(config: CmdbConfig, deps: ConnectorDeps & { servicenow?: ServiceNowClient }) {
    const client =
      deps.servicenow ??
      (config.servicenow ? new ServiceNowClient(config.servicenow, { logger: deps.logger }) : undefined);
    if (!client)
      throw new ConfigError(['cmdb.servicenow: no instance configured for the CMDB connector (and none passed in)']);
    const limits = createEndpointLimiters('cmdb', effectiveLimit(cmdbConnector.defaults, config), deps.limiters);
    return {
      actions: limitActions(
        {
          upsert_cis: createUpsertCisHandler(client, config),
          register_server: createRegisterServerHandler(client, config),
        },
        limits.forEndpoint(new URL(client.config.url).host),
      ),
      async health() {
        try {
          await client.query('cmdb_ci', { limit: 1, fields: ['sys_id'] });
          return { ok: true };
        } catch (err) {
          return { ok: false, detail: (err as Error).message };
        }
      },
    };
  },
};
