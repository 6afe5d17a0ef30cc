import { z } from 'zod';
import type { ActionHandler, ActionSpec } from '../../connector';
import { ConnectorError } from '../../../src/errors';
import type { ServiceNowClient } from '../../servicenow/client';
import { ciFromAnsibleFacts } from '../ansible-facts';
import { CONNECTOR, invalidParams } from '../errors';
import { upsertCis } from '../reconcile';
import type { CmdbConfig } from '../schemas';

export const registerServerParamsSchema = z
  .object({
    facts: z
      .record(z.string(), z.unknown())
      .describe('Ansible facts of the new server (e.g. a provisioning job artifact)'),
    class_name: z
      .enum(['cmdb_ci_linux_server', 'cmdb_ci_unix_server', 'cmdb_ci_win_server', 'cmdb_ci_server'])
      .default('cmdb_ci_linux_server'),
    environment: z.enum(['Development', 'Production', 'Test']).optional(),
    link_to_ticket: z.boolean().default(true).describe("set the ticket's cmdb_ci to the server"),
  })
  .strict();
export type RegisterServerParams = z.infer<typeof registerServerParamsSchema>;

export const registerServerResultSchema = z.object({ sys_id: z.string(), operation: z.string(), linked: z.boolean() });
export type RegisterServerResult = z.infer<typeof registerServerResultSchema>;

/**
 * `cmdb.register_server`: after a provisioning job, registers the server from its Ansible facts
 * through the IRE and links it to the ticket (`cmdb_ci`). Both calls are safe to repeat.
 */
export const registerServerAction: ActionSpec<RegisterServerParams, RegisterServerResult> = {
  name: 'register_server',
  risk: 'medium',
  description: 'Register a server in the CMDB from Ansible facts (IRE) and link it to the ticket',
  params: registerServerParamsSchema,
  result: registerServerResultSchema,
};

export function createRegisterServerHandler(
  client: Pick<ServiceNowClient, 'identifyReconcile' | 'update'>,
  config: CmdbConfig,
): ActionHandler<RegisterServerParams, RegisterServerResult> {
  return {
    async start(input, ctx) {
      const parsed = registerServerParamsSchema.safeParse(input);
      if (!parsed.success)
        throw invalidParams(
          registerServerAction.name,
          parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`),
        );
      const params = parsed.data;
      const item = ciFromAnsibleFacts(params.facts, params.class_name);
      if (!item.values.name)
        throw invalidParams(registerServerAction.name, ['facts: no ansible_hostname, so the server has no name']);
      if (params.environment) item.values.environment = params.environment;
      const outcome = await upsertCis(client, [item], [], {
        dataSource: config.dataSource,
        batchSize: 1,
        dryRun: false,
        signal: ctx.signal,
      });
      const result = outcome.results[0];
      if (!result?.sys_id) {
        throw new ConnectorError(
          CONNECTOR,
          'permanent',
          'ire_rejected',
          `the CMDB did not register ${item.values.name}: ${result?.errors.join('; ') || 'no sys_id returned'}`,
          { details: { errors: result?.errors } },
        );
      }
      if (params.link_to_ticket)
        await client.update(ctx.ticket.table, ctx.ticket.sysId, { cmdb_ci: result.sys_id }, { signal: ctx.signal });
      ctx.logger.info('cmdb: server registered', {
        name: item.values.name,
        sysId: result.sys_id,
        operation: result.operation,
      });
      return {
        status: 'done',
        result: { sys_id: result.sys_id, operation: result.operation, linked: params.link_to_ticket },
      };
    },
  };
}
