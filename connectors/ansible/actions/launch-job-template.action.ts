import { z } from 'zod';
import type { ActionContext, ActionHandler, ActionSpec } from '../../connector';
import { ConnectorError } from '../../../src/errors';
import { jobExtraVars, type ControllerClient } from '../client';
import { CONNECTOR, parseParams } from '../errors';
import { extraVarsSchema, launchJobResultSchema, limitSchema, TERMINAL_STATUSES, type Job, type LaunchJobResult } from '../schemas';

/** A controller object id, as a number or (rendered from a template) a digit string. */
const objectId = z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,9}$/).transform(Number)]);

export const launchJobTemplateParamsSchema = z
  .object({
    job_template: z.string().min(1).max(512).describe('job template name'),
    organization: z.string().min(1).max(512).optional().describe('its organization, when the name is not unique'),
    limit: limitSchema.optional().describe('comma-separated host names; patterns (all, !, :, *, …) are refused'),
    extra_vars: extraVarsSchema.optional().describe('variables for the playbook: JSON data, type-checked and length-capped'),
    inventory: objectId.optional().describe('inventory id (needs ask_inventory_on_launch)'),
    credentials: z.array(objectId).max(20).optional().describe('credential ids (needs ask_credential_on_launch)'),
  })
  .strict();
export type LaunchJobTemplateParams = z.infer<typeof launchJobTemplateParamsSchema>;

/**
 * `ansible.launch_job_template`: launches a job template on the controller and waits for the job
 * (the engine calls `check` until it ends). The launch carries the step's idempotency key in
 * `extra_vars.snowline`, which is how `recover` finds the job after a crash or an ambiguous launch;
 * the controller has no idempotency key of its own.
 */
export const launchJobTemplateAction: ActionSpec<LaunchJobTemplateParams, LaunchJobResult> = {
  name: 'launch_job_template',
  description: 'Launch an AWX / AAP job template and wait for its job to finish',
  params: launchJobTemplateParamsSchema,
  result: launchJobResultSchema,
};

/**
 * The extra_vars sent: the rule's own, plus two namespaces Snowline owns.
 * - `snowline`: `idempotency_key`, `run_id`, `step`, `ticket {table, sys_id, number}`.
 * - `ansible_eda`: the shape Event-Driven Ansible gives playbooks (`ansible_eda.ruleset`, `.rule`,
 *   `.event` with `meta.source {name, type}`, `meta.received_at`, `meta.uuid`), so playbooks
 *   written for EDA's ServiceNow source read the ticket the same way.
 * Ticket text never goes anywhere else: it is data inside these variables, which the controller
 * marks `!unsafe` by default (ALLOW_JINJA_IN_EXTRA_VARS=template).
 */
export function snowlineExtraVars(user: Record<string, unknown> | undefined, ctx: Pick<ActionContext, 'idempotencyKey' | 'runId' | 'stepName' | 'ticket'>, now: Date): Record<string, unknown> {
  const ticket = { table: ctx.ticket.table, sys_id: ctx.ticket.sysId, number: ctx.ticket.number };
  return {
    ...(user ?? {}),
    snowline: { idempotency_key: ctx.idempotencyKey, run_id: ctx.runId, step: ctx.stepName, ticket },
    ansible_eda: {
      ruleset: 'snowline',
      rule: ctx.stepName,
      event: {
        ...ticket,
        meta: { source: { name: 'snowline', type: 'servicenow' }, received_at: now.toISOString(), uuid: ctx.idempotencyKey },
      },
    },
  };
}

/** The idempotency key a job was launched with, if Snowline launched it. */
export function idempotencyKeyOf(job: Pick<Job, 'extra_vars'>): string | undefined {
  const snowline = jobExtraVars(job)?.snowline;
  if (!snowline || typeof snowline !== 'object') return undefined;
  const key = (snowline as { idempotency_key?: unknown }).idempotency_key;
  return typeof key === 'string' ? key : undefined;
}

function jobIdOf(ref: string): number {
  if (!/^[1-9]\d{0,12}$/.test(ref)) throw new ConnectorError(CONNECTOR, 'permanent', 'bad_request', `${JSON.stringify(ref)} is not a controller job id`);
  return Number(ref);
}

function artifactsOf(job: Job): Record<string, unknown> {
  const a = job.artifacts;
  if (!a) return {};
  if (typeof a === 'object') return a;
  return jobExtraVars({ extra_vars: a }) ?? {};
}

export interface LaunchJobTemplateDeps {
  client: Pick<ControllerClient, 'findJobTemplate' | 'launch' | 'getJob' | 'jobStdout' | 'cancelJob' | 'findJobsByTemplateSince'>;
  /** How long until the engine looks at a running job again, in ms. */
  pollIntervalMs: number;
  /** How far back `recover` looks for the job, in ms. */
  recoverLookbackMs: number;
  /** Bytes of output kept in the result. */
  stdoutTailBytes: number;
  now?: () => number;
}

export function createLaunchJobTemplateHandler(deps: LaunchJobTemplateDeps): ActionHandler<LaunchJobTemplateParams, LaunchJobResult> {
  const now = deps.now ?? Date.now;
  const parse = (input: unknown) => parseParams(launchJobTemplateParamsSchema, input, launchJobTemplateAction.name);

  async function stdoutTail(jobId: number, ctx: ActionContext): Promise<string> {
    try {
      return (await deps.client.jobStdout(jobId, { maxBytes: deps.stdoutTailBytes, signal: ctx.signal })).text;
    } catch (err) {
      ctx.logger.warn('ansible: job output could not be read', { jobId, error: (err as Error).message });
      return '';
    }
  }

  return {
    async start(input, ctx) {
      const params = parse(input);
      const template = await deps.client.findJobTemplate(params.job_template, params.organization, { signal: ctx.signal });
      const launched = await deps.client.launch(
        template.id,
        {
          extra_vars: snowlineExtraVars(params.extra_vars, ctx, new Date(now())),
          limit: params.limit,
          inventory: params.inventory,
          credentials: params.credentials,
        },
        { signal: ctx.signal },
      );
      ctx.logger.info('ansible: job template launched', { template: template.name, templateId: template.id, jobId: launched.jobId });
      return { status: 'pending', ref: String(launched.jobId), checkAfterMs: deps.pollIntervalMs };
    },

    async check(ref, _input, ctx) {
      const job = await deps.client.getJob(jobIdOf(ref), { signal: ctx.signal });
      if (!TERMINAL_STATUSES.has(job.status)) return { status: 'pending', ref, checkAfterMs: deps.pollIntervalMs };
      const stdout = await stdoutTail(job.id, ctx);
      if (job.status !== 'successful') {
        const why = job.job_explanation ? ` (${job.job_explanation})` : '';
        throw new ConnectorError(CONNECTOR, 'permanent', 'job_failed', `controller job ${job.id} ended ${job.status}${why}`, {
          details: { jobId: job.id, status: job.status, jobExplanation: job.job_explanation ?? undefined, stdoutTail: stdout.slice(-2000) },
        });
      }
      return {
        status: 'done',
        result: { job_id: job.id, status: job.status, failed: job.failed, elapsed: Number(job.elapsed) || 0, artifacts: artifactsOf(job), stdout_tail: stdout },
      };
    },

    async recover(input, ctx) {
      const params = parse(input);
      const template = await deps.client.findJobTemplate(params.job_template, params.organization, { signal: ctx.signal });
      const since = new Date(now() - deps.recoverLookbackMs).toISOString();
      const jobs = await deps.client.findJobsByTemplateSince(template.id, since, { signal: ctx.signal });
      const job = jobs.find((j) => idempotencyKeyOf(j) === ctx.idempotencyKey);
      if (!job) return undefined;
      ctx.logger.info('ansible: found the job an earlier attempt launched', { jobId: job.id, status: job.status });
      return String(job.id);
    },

    async cancel(ref, ctx) {
      await deps.client.cancelJob(jobIdOf(ref), { signal: ctx.signal });
    },
  };
}
