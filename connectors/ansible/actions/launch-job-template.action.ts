import { z } from 'zod';
import type { ActionContext, ActionHandler, ActionSpec } from '../../connector';
import { ConnectorError } from '../../../src/errors';
import { jobArtifacts, type ControllerClient } from '../client';
import { CONNECTOR, jobIdOf, parseParams } from '../errors';
import { findLaunch, idempotencyLabel, snowlineExtraVars } from '../idempotency';
import { extraVarsSchema, launchJobResultSchema, limitSchema, TERMINAL_STATUSES, type LaunchJobResult } from '../schemas';

/** A controller object id, as a number or (rendered from a template) a digit string. */
export const objectId = z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,9}$/).transform(Number)]);

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
 * (the engine calls `check` until it ends). The launch carries the step's idempotency key as a
 * label (when the template prompts for labels) and in `extra_vars.snowline`, which is how
 * `recover` finds the job after a crash or an ambiguous launch.
 */
export const launchJobTemplateAction: ActionSpec<LaunchJobTemplateParams, LaunchJobResult> = {
  name: 'launch_job_template',
  description: 'Launch an AWX / AAP job template and wait for its job to finish',
  params: launchJobTemplateParamsSchema,
  result: launchJobResultSchema,
};

export interface LaunchJobTemplateDeps {
  client: Pick<ControllerClient, 'findJobTemplate' | 'launch' | 'getJob' | 'jobStdout' | 'cancelJob' | 'findJobsByTemplateSince' | 'findJobsByLabel'>;
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
          idempotencyLabel: typeof template.organization === 'number' ? { name: idempotencyLabel(ctx.idempotencyKey), organization: template.organization } : undefined,
        },
        { signal: ctx.signal },
      );
      ctx.logger.info('ansible: job template launched', { template: template.name, templateId: template.id, jobId: launched.jobId, labeled: launched.labeled });
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
        result: { job_id: job.id, status: job.status, failed: job.failed, elapsed: Number(job.elapsed) || 0, artifacts: jobArtifacts(job), stdout_tail: stdout },
      };
    },

    async recover(input, ctx) {
      const params = parse(input);
      const template = await deps.client.findJobTemplate(params.job_template, params.organization, { signal: ctx.signal });
      const sinceIso = new Date(now() - deps.recoverLookbackMs).toISOString();
      const job = await findLaunch(deps.client, template.id, ctx.idempotencyKey, { kind: 'job_template', sinceIso, signal: ctx.signal });
      if (!job) return undefined;
      ctx.logger.info('ansible: found the job an earlier attempt launched', { jobId: job.id, status: job.status });
      return String(job.id);
    },

    async cancel(ref, ctx) {
      await deps.client.cancelJob(jobIdOf(ref), { signal: ctx.signal });
    },
  };
}
