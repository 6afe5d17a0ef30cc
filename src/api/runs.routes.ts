import { z } from 'zod';
import type { RunControl } from '../engine/run-control';
import { NotFoundError } from '../errors';
import type { RunRepository } from '../store/run.repository';
import type { RouteDefinition } from './route';
import { runViewSchema, toRunView } from './run-view';

const listQuery = z.object({
  ticket: z.string().max(40).optional().describe('ticket number, e.g. INC0010001'),
  rule: z.string().max(80).optional().describe('rule id'),
  state: runViewSchema.shape.state.optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('created at or after (ISO 8601)'),
  until: z.iso.datetime({ offset: true }).optional().describe('created before (ISO 8601)'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** The list filter in store terms: times as epoch milliseconds. */
function runFilter(query: z.infer<typeof listQuery>) {
  return {
    ...query,
    since: query.since === undefined ? undefined : Date.parse(query.since),
    until: query.until === undefined ? undefined : Date.parse(query.until),
  };
}

const decisionBody = z
  .object({ comment: z.string().max(2000).optional().describe('why; kept with the decision in the audit journal') })
  .strict();

/** Runs: list and read (viewer), retry and cancel (operator), approve and reject (approver). */
export function runRoutes(runs: RunRepository, control: RunControl): RouteDefinition[] {
  return [
    {
      method: 'get',
      path: '/runs',
      permission: 'runs:read',
      summary: 'List runs, newest first, optionally for one ticket, rule, state or time range',
      query: listQuery,
      response: z.array(runViewSchema),
      handle: async (_req, { query }) =>
        (await runs.list(runFilter(query as z.infer<typeof listQuery>))).map(toRunView),
    },
    {
      method: 'get',
      path: '/runs/:id',
      permission: 'runs:read',
      summary: 'One run with its steps',
      response: runViewSchema,
      handle: async (req) => {
        const run = await runs.get(String(req.params.id));
        if (!run) throw new NotFoundError('run', String(req.params.id));
        return toRunView(run);
      },
    },
    {
      method: 'post',
      path: '/runs/:id/retry',
      permission: 'runs:retry',
      summary: 'Retry a failed run from its failed step',
      response: runViewSchema,
      handle: async (req) => toRunView(await control.retry(String(req.params.id), req.identity!.subject)),
    },
    {
      method: 'post',
      path: '/runs/:id/cancel',
      permission: 'runs:cancel',
      summary: 'Cancel a running run',
      response: runViewSchema,
      handle: async (req) => toRunView(await control.cancel(String(req.params.id), req.identity!.subject)),
    },
    {
      method: 'post',
      path: '/runs/:id/pause',
      permission: 'runs:cancel',
      summary: 'Pause a running run: none of its steps starts or is checked until it is resumed',
      response: runViewSchema,
      handle: async (req) => toRunView(await control.pause(String(req.params.id), req.identity!.subject)),
    },
    {
      method: 'post',
      path: '/runs/:id/resume',
      permission: 'runs:retry',
      summary: 'Resume a paused run',
      response: runViewSchema,
      handle: async (req) => toRunView(await control.resume(String(req.params.id), req.identity!.subject)),
    },
    {
      method: 'post',
      path: '/runs/:id/steps/:step/skip',
      permission: 'runs:retry',
      summary: 'Skip a failed step of a failed run (the run goes on) or a step not started yet',
      body: decisionBody,
      response: runViewSchema,
      handle: async (req, { body }) =>
        toRunView(
          await control.skip(
            String(req.params.id),
            String(req.params.step),
            req.identity!.subject,
            body.comment as string | undefined,
          ),
        ),
    },
    {
      method: 'post',
      path: '/runs/:id/steps/:step/retry',
      permission: 'runs:retry',
      summary: 'Retry a failed step of a failed run (same as retrying the run: its failed steps start again)',
      response: runViewSchema,
      handle: async (req) =>
        toRunView(await control.retryStep(String(req.params.id), String(req.params.step), req.identity!.subject)),
    },
    {
      method: 'post',
      path: '/runs/:id/approve',
      permission: 'approvals:decide',
      summary: 'Approve the step of a run that waits for the approval gate; who and when go to the audit journal',
      body: decisionBody,
      response: runViewSchema,
      handle: async (req, { body }) =>
        toRunView(
          await control.decide(
            String(req.params.id),
            'approved',
            req.identity!.subject,
            body.comment as string | undefined,
          ),
        ),
    },
    {
      method: 'post',
      path: '/runs/:id/reject',
      permission: 'approvals:decide',
      summary: 'Reject the step of a run that waits for the approval gate; the run ends refused',
      body: decisionBody,
      response: runViewSchema,
      handle: async (req, { body }) =>
        toRunView(
          await control.decide(
            String(req.params.id),
            'rejected',
            req.identity!.subject,
            body.comment as string | undefined,
          ),
        ),
    },
  ];
}
