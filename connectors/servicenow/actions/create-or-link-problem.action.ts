import { z } from 'zod';
import type { ActionContext, ActionHandler, ActionSpec } from '../../connector';
import type { ServiceNowClient } from '../client';
import { parseParams } from '../errors';
import { problemLinkResultSchema, queryValue, sysIdSchema, type ProblemLinkResult } from '../schemas';
import { definedFields, findByCorrelation, identity, insertTaskRecord } from '../task-records';

export const createOrLinkProblemParamsSchema = z
  .object({
    cmdb_ci: sysIdSchema.optional().describe("the CI; default the ticket's cmdb_ci"),
    short_description: z.string().min(1).max(160).describe('for a new problem'),
    description: z.string().max(4000).optional(),
    priority: z.enum(['1', '2', '3', '4', '5']).optional(),
    category: z.enum(['software', 'hardware', 'network', 'database']).optional(),
    assignment_group: sysIdSchema.optional(),
    link_ticket: z.boolean().default(true).describe('point the incident at the problem (problem_id)'),
  })
  .strict();
export type CreateOrLinkProblemParams = z.infer<typeof createOrLinkProblemParamsSchema>;

/**
 * `servicenow.create_or_link_problem`: when automation keeps failing on one CI, one problem
 * gathers the incidents. An open problem on the CI is linked; only when there is none is a
 * problem created (first reported by the ticket, tagged with the idempotency key in
 * `correlation_id`). The incident is then pointed at it (`problem_id`); other tickets are not
 * changed (`linked: false`). Without a CI there is nothing to match on, so a problem is created.
 */
export const createOrLinkProblemAction: ActionSpec<CreateOrLinkProblemParams, ProblemLinkResult> = {
  name: 'create_or_link_problem',
  risk: 'low',
  description: 'Link the ticket to the open problem on its CI, creating the problem when there is none',
  params: createOrLinkProblemParamsSchema,
  result: problemLinkResultSchema,
};

const FIELDS = ['sys_id', 'number'];

type Client = Pick<ServiceNowClient, 'insert' | 'query' | 'getRecord' | 'update'>;

export function createOrLinkProblemHandler(deps: {
  client: Client;
}): ActionHandler<CreateOrLinkProblemParams, ProblemLinkResult> {
  const parse = (input: unknown) => parseParams(createOrLinkProblemParamsSchema, input, createOrLinkProblemAction.name);

  async function ciOf(params: CreateOrLinkProblemParams, ctx: ActionContext): Promise<string | undefined> {
    if (params.cmdb_ci) return params.cmdb_ci;
    const ticket = await deps.client.getRecord(ctx.ticket.table, ctx.ticket.sysId, {
      fields: ['sys_id', 'cmdb_ci'],
      signal: ctx.signal,
    });
    return typeof ticket.cmdb_ci === 'string' && /^[0-9a-f]{32}$/.test(ticket.cmdb_ci) ? ticket.cmdb_ci : undefined;
  }

  /** PATCHing problem_id is idempotent: a repeat (after recovery) changes nothing. */
  async function link(problemSysId: string, params: CreateOrLinkProblemParams, ctx: ActionContext): Promise<boolean> {
    if (!params.link_ticket || ctx.ticket.table !== 'incident') return false;
    await deps.client.update(
      'incident',
      ctx.ticket.sysId,
      { problem_id: problemSysId },
      { fields: ['sys_id'], signal: ctx.signal },
    );
    return true;
  }

  return {
    async start(input, ctx) {
      const params = parse(input);
      const ci = await ciOf(params, ctx);
      const open = ci
        ? (
            await deps.client.query('problem', {
              query: `active=true^cmdb_ci=${queryValue(ci)}^ORDERBYsys_created_on`,
              fields: FIELDS,
              limit: 1,
              signal: ctx.signal,
            })
          ).rows[0]
        : undefined;
      const problem = open
        ? identity(open, 'problem')
        : await insertTaskRecord(
            deps.client,
            'problem',
            definedFields({
              short_description: params.short_description,
              description: params.description,
              cmdb_ci: ci,
              priority: params.priority,
              category: params.category,
              assignment_group: params.assignment_group,
              first_reported_by_task: ctx.ticket.sysId,
            }),
            ctx.idempotencyKey,
            ctx.signal,
          );
      const linked = await link(problem.sys_id, params, ctx);
      ctx.logger.info(
        open ? 'servicenow: ticket linked to the open problem on its CI' : 'servicenow: problem created',
        { problem: problem.number, ticket: ctx.ticket.number },
      );
      return { status: 'done', result: { problem, created: !open, linked, recovered: false } };
    },

    async recover(input, ctx) {
      parse(input);
      const found = await findByCorrelation(deps.client, 'problem', ctx.idempotencyKey, ctx.signal);
      return typeof found?.sys_id === 'string' ? found.sys_id : undefined;
    },

    async check(ref, input, ctx) {
      const params = parse(input);
      const problem = identity(
        await deps.client.getRecord('problem', ref, { fields: FIELDS, signal: ctx.signal }),
        'problem',
      );
      const linked = await link(problem.sys_id, params, ctx);
      return { status: 'done', result: { problem, created: true, linked, recovered: true } };
    },
  };
}
