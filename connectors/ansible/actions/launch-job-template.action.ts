import { playbookRisk } from '../../playbook-risk';
import { z } from 'zod';
import type { ActionContext, ActionHandler, ActionSpec } from '../../connector';
import { ConnectorError } from '../../../src/errors';
import { jobArtifacts, type ControllerClient } from '../client';
import { CONNECTOR, jobIdOf, parseParams } from '../errors';
import { findLaunch, idempotencyLabel, snowlineExtraVars } from '../idempotency';
import { JobDurations } from '../job-durations';
import {
  extraVarsSchema,
  launchJobResultSchema,
  limitSchema,
  TERMINAL_STATUSES,
  type Job,
  type LaunchJobResult,
} from '../schemas';

/** A controller object id, as a number or (rendered from a template) a digit string. */
export const objectId = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^[1-9]\d{0,9}$/)
    .transform(Number),
]);

export const launchJobTemplateParamsSchema = z
  .object({
    job_template: z.string().min(1).max(512).describe('job template name'),
    organization: z.string().min(1).max(512).optional().describe('its organization, when the name is not unique'),
    limit: limitSchema.optional().describe('comma-separated host names; patterns (all, !, :, *, …) are refused'),
    extra_vars: extraVarsSchema
      .optional()
      .describe('variables for the playbook: JSON data, type-checked and length-capped'),
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
  risk: playbookRisk,
  description: 'Launch an AWX / AAP job template and wait for its job to finish',
  params: launchJobTemplateParamsSchema,
  result: launchJobResultSchema,
};

export interface LaunchJobTemplateDeps {
  client: Pick<
    ControllerClient,
    | 'findJobTemplate'
    | 'launch'
    | 'getJob'
    | 'getJobs'
    | 'jobStdout'
    | 'cancelJob'
    | 'findJobsByTemplateSince'
    | 'findJobsByLabel'
  >;
  /** How long until the engine looks at a running job again, in ms (at first). */
  pollIntervalMs: number;
  /** The longest wait between two looks at a job that has been running for long, in ms. */
  maxPollIntervalMs: number;
  /** How far back `recover` looks for the job, in ms. */
  recoverLookbackMs: number;
  /** Bytes of output kept in the result. */
  stdoutTailBytes: number;
  now?: () => number;
}

/**
 * Reads jobs for `check`: the jobs asked for in the same turn of the event loop (the engine checks
 * the waiting steps it claimed side by side) are read in one `GET jobs/?id__in=…` (docs/awx-behaviour.md §1.3), so
 * thousands of waiting runs cost the controller a request per batch, not one per job. A lone job
 * is read as `GET jobs/{id}/`.
 */
function jobReader(client: LaunchJobTemplateDeps['client']): (jobId: number, signal: AbortSignal) => Promise<Job> {
  let waiting = new Map<
    number,
    { signal: AbortSignal; callers: Array<{ resolve(job: Job): void; reject(err: unknown): void }> }
  >();

  async function flush(): Promise<void> {
    const batch = waiting;
    waiting = new Map();
    const ids = [...batch.keys()];
    try {
      const jobs =
        ids.length === 1
          ? [await client.getJob(ids[0]!, { signal: batch.get(ids[0]!)!.signal })]
          : await client.getJobs(ids);
      const byId = new Map(jobs.map((j) => [j.id, j]));
      for (const [jobId, { callers }] of batch) {
        const job = byId.get(jobId);
        for (const c of callers) {
          if (job) c.resolve(job);
          else
            c.reject(
              new ConnectorError(CONNECTOR, 'permanent', 'not_found', `the controller has no job ${jobId} (deleted?)`, {
                details: { jobId },
              }),
            );
        }
      }
    } catch (err) {
      for (const { callers } of batch.values()) for (const c of callers) c.reject(err);
    }
  }

  return (jobId, signal) =>
    new Promise<Job>((resolve, reject) => {
      if (waiting.size === 0) setImmediate(() => void flush());
      const entry = waiting.get(jobId) ?? { signal, callers: [] };
      entry.callers.push({ resolve, reject });
      waiting.set(jobId, entry);
    });
}

export function createLaunchJobTemplateHandler(
  deps: LaunchJobTemplateDeps,
): ActionHandler<LaunchJobTemplateParams, LaunchJobResult> {
  const now = deps.now ?? Date.now;
  const parse = (input: unknown) => parseParams(launchJobTemplateParamsSchema, input, launchJobTemplateAction.name);
  const readJob = jobReader(deps.client);
  const durations = new JobDurations();
  /** The soonest a job is looked at again, whatever its template's jobs usually take. */
  const soonestCheckMs = Math.max(1, Math.round(deps.pollIntervalMs / 10));

  /**
   * When to look at a job again: soon at first (`pollIntervalMs`), then at a tenth of its running
   * time, up to `maxPollIntervalMs`; a job running for an hour is not worth a request a second. A
   * job still within its template's usual duration is looked at when it usually ends, if that comes
   * sooner (a job of a few hundred ms is not left waiting for the rest of a second), though never
   * sooner than a tenth of `pollIntervalMs`.
   */
  function checkAfterMs(job: Pick<Job, 'job_template' | 'created' | 'started'>): number {
    const startedMs = job.started ? Date.parse(job.started) : NaN;
    const runningMs = Number.isNaN(startedMs) ? 0 : now() - startedMs;
    const cadence = Math.max(deps.pollIntervalMs, Math.min(deps.maxPollIntervalMs, Math.round(runningMs / 10)));
    const typical = durations.typicalMs(job.job_template);
    const usualEnd = typical === undefined ? NaN : Date.parse(job.created ?? '') + typical - now();
    return usualEnd >= 0 ? Math.min(cadence, Math.max(soonestCheckMs, usualEnd)) : cadence;
  }

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
      const template = await deps.client.findJobTemplate(params.job_template, params.organization, {
        signal: ctx.signal,
      });
      const launched = await deps.client.launch(
        template.id,
        {
          extra_vars: snowlineExtraVars(params.extra_vars, ctx, new Date(now())),
          limit: params.limit,
          inventory: params.inventory,
          credentials: params.credentials,
          idempotencyLabel:
            typeof template.organization === 'number'
              ? { name: idempotencyLabel(ctx.idempotencyKey), organization: template.organization }
              : undefined,
        },
        { signal: ctx.signal },
      );
      ctx.logger.info('ansible: job template launched', {
        template: template.name,
        templateId: template.id,
        jobId: launched.jobId,
        labeled: launched.labeled,
      });
      // Just created, not started: the first look comes as for any job that has not run yet.
      const justLaunched = { job_template: template.id, created: new Date(now()).toISOString(), started: null };
      return { status: 'pending', ref: String(launched.jobId), checkAfterMs: checkAfterMs(justLaunched) };
    },

    async check(ref, _input, ctx) {
      const job = await readJob(jobIdOf(ref), ctx.signal);
      if (!TERMINAL_STATUSES.has(job.status)) return { status: 'pending', ref, checkAfterMs: checkAfterMs(job) };
      durations.ended(job);
      const stdout = await stdoutTail(job.id, ctx);
      if (job.status !== 'successful') {
        const why = job.job_explanation ? ` (${job.job_explanation})` : '';
        throw new ConnectorError(
          CONNECTOR,
          'permanent',
          'job_failed',
          `controller job ${job.id} ended ${job.status}${why}`,
          {
            details: {
              jobId: job.id,
              status: job.status,
              jobExplanation: job.job_explanation ?? undefined,
              stdoutTail: stdout.slice(-2000),
            },
          },
        );
      }
      return {
        status: 'done',
        result: {
          job_id: job.id,
          status: job.status,
          failed: job.failed,
          elapsed: Number(job.elapsed) || 0,
          artifacts: jobArtifacts(job),
          stdout_tail: stdout,
        },
      };
    },

    async recover(input, ctx) {
      const params = parse(input);
      const template = await deps.client.findJobTemplate(params.job_template, params.organization, {
        signal: ctx.signal,
      });
      const sinceIso = new Date(now() - deps.recoverLookbackMs).toISOString();
      const job = await findLaunch(deps.client, template.id, ctx.idempotencyKey, {
        kind: 'job_template',
        sinceIso,
        signal: ctx.signal,
      });
      if (!job) return undefined;
      ctx.logger.info('ansible: found the job an earlier attempt launched', { jobId: job.id, status: job.status });
      return String(job.id);
    },

    async cancel(ref, ctx) {
      await deps.client.cancelJob(jobIdOf(ref), { signal: ctx.signal });
    },
  };
}
