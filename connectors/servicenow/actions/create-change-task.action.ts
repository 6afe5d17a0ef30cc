import { z } from 'zod';
import type { ActionContext, ActionHandler, ActionSpec } from '../../connector';
import type { ServiceNowClient } from '../client';
import { CONNECTOR, parseParams } from '../errors';
import { createdRecordSchema, sysIdSchema, type CreatedRecord } from '../schemas';
import { definedFields, findByCorrelation, identity, insertTaskRecord } from '../task-records';
import { ConnectorError } from '../../../src/errors';

export const createChangeTaskParamsSchema = z
  .object({
    change_request: sysIdSchema.optional().describe("the change; default the run's ticket when it is a change_request"),
    short_description: z.string().min(1).max(160),
    description: z.string().max(4000).optional(),
    change_task_type: z.enum(['planning', 'implementation', 'testing', 'review']).optional(),
    assignment_group: sysIdSchema.optional(),
    assigned_to: sysIdSchema.optional(),
  })
  .strict();
export type CreateChangeTaskParams = z.infer<typeof createChangeTaskParamsSchema>;

/**
 * `servicenow.create_change_task`: a change task under a change request (docs/servicenow-behaviour.md §3.5). The task
 * carries the step's idempotency key in `correlation_id`; `recover` finds it there.
 */
export const createChangeTaskAction: ActionSpec<CreateChangeTaskParams, CreatedRecord> = {
  name: 'create_change_task',
  risk: 'low',
  description: 'Create a change task under a change request (no duplicate after a failure)',
  params: createChangeTaskParamsSchema,
  result: createdRecordSchema,
};

const TABLE = 'change_task';

function changeOf(params: CreateChangeTaskParams, ctx: ActionContext): string {
  if (params.change_request) return params.change_request;
  if (ctx.ticket.table === 'change_request') return ctx.ticket.sysId;
  throw new ConnectorError(
    CONNECTOR,
    'permanent',
    'invalid_params',
    `servicenow.create_change_task: change_request is required when the ticket is a ${ctx.ticket.table}, not a change_request`,
  );
}

export function createChangeTaskHandler(deps: {
  client: Pick<ServiceNowClient, 'insert' | 'query' | 'getRecord'>;
}): ActionHandler<CreateChangeTaskParams, CreatedRecord> {
  const parse = (input: unknown) => parseParams(createChangeTaskParamsSchema, input, createChangeTaskAction.name);
  return {
    async start(input, ctx) {
      const params = parse(input);
      const fields = definedFields({
        change_request: changeOf(params, ctx),
        short_description: params.short_description,
        description: params.description,
        change_task_type: params.change_task_type,
        assignment_group: params.assignment_group,
        assigned_to: params.assigned_to,
      });
      const created = await insertTaskRecord(deps.client, TABLE, fields, ctx.idempotencyKey, ctx.signal);
      ctx.logger.info('servicenow: change task created', { number: created.number, change: fields.change_request });
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
