import { z } from 'zod';
import type { ActionContext, ActionHandler, ActionSpec } from '../../connector';
import type { ServiceNowClient } from '../client';
import { parseParams } from '../errors';
import { createdRecordSchema, sysIdSchema, type CreatedRecord } from '../schemas';
import { definedFields, findByCorrelation, identity, insertTaskRecord } from '../task-records';

const level = z.enum(['1', '2', '3']);

export const createIncidentParamsSchema = z
  .object({
    short_description: z.string().min(1).max(160),
    description: z.string().max(4000).optional(),
    cmdb_ci: sysIdSchema.optional().describe('the CI concerned'),
    impact: level.optional(),
    urgency: level.optional(),
    assignment_group: sysIdSchema.optional(),
    caller_id: sysIdSchema.optional(),
    link_ticket: z
      .boolean()
      .default(true)
      .describe("relate the incident to the run's ticket (caused_by for a change, parent_incident for an incident)"),
  })
  .strict();
export type CreateIncidentParams = z.infer<typeof createIncidentParamsSchema>;

/**
 * `servicenow.create_incident`: opens an incident (e.g. when a change's automation failed),
 * related to the run's ticket: a change request becomes its `caused_by`, an incident its
 * `parent_incident`. Found again by `correlation_id` after an ambiguous failure.
 */
export const createIncidentAction: ActionSpec<CreateIncidentParams, CreatedRecord> = {
  name: 'create_incident',
  risk: 'low',
  description: 'Open an incident related to the ticket (no duplicate after a failure)',
  params: createIncidentParamsSchema,
  result: createdRecordSchema,
};

const TABLE = 'incident';

/** The incident field that relates it to the run's ticket, by the ticket's table. */
function ticketLink(ctx: ActionContext): Record<string, string> {
  if (ctx.ticket.table === 'change_request') return { caused_by: ctx.ticket.sysId };
  if (ctx.ticket.table === 'incident') return { parent_incident: ctx.ticket.sysId };
  return {};
}

export function createIncidentHandler(deps: {
  client: Pick<ServiceNowClient, 'insert' | 'query' | 'getRecord'>;
}): ActionHandler<CreateIncidentParams, CreatedRecord> {
  const parse = (input: unknown) => parseParams(createIncidentParamsSchema, input, createIncidentAction.name);
  return {
    async start(input, ctx) {
      const params = parse(input);
      const fields = {
        ...definedFields({
          short_description: params.short_description,
          description: params.description,
          cmdb_ci: params.cmdb_ci,
          impact: params.impact,
          urgency: params.urgency,
          assignment_group: params.assignment_group,
          caller_id: params.caller_id,
        }),
        ...(params.link_ticket ? ticketLink(ctx) : {}),
      };
      const created = await insertTaskRecord(deps.client, TABLE, fields, ctx.idempotencyKey, ctx.signal);
      ctx.logger.info('servicenow: incident created', { number: created.number, ticket: ctx.ticket.number });
      return { status: 'done', result: { table: TABLE, ...created, recovered: false } };
    },

    async recover(input, ctx) {
      parse(input);
      const found = await findByCorrelation(deps.client, TABLE, ctx.idempotencyKey, ctx.signal);
      return typeof found?.sys_id === 'string' ? found.sys_id : undefined;
    },

    async check(ref, _input, ctx) {
      const record = await deps.client.getRecord(TABLE, ref, { fields: ['sys_id', 'number'], signal: ctx.signal });
      return { status: 'done', result: { table: TABLE, ...identity(record, TABLE), recovered: true } };
    },
  };
}
