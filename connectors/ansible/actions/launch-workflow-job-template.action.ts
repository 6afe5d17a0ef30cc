import { playbookRisk } from '../../playbook-risk';
import { z } from 'zod';
import type { ActionContext, ActionHandler, ActionSpec } from '../../connector';
import { ConnectorError } from '../../../src/errors';
import { jobArtifacts, type ControllerClient } from '../client';
import { CONNECTOR, jobIdOf, parseParams } from '../errors';
import { findLaunch, idempotencyLabel, snowlineExtraVars } from '../idempotency';
import {
  extraVarsSchema,
  launchWorkflowResultSchema,
  limitSchema,
  TERMINAL_STATUSES,
  type Job,
  type LaunchWorkflowResult,
  type WorkflowNode,
} from '../schemas';
import { objectId } from './launch-job-template.action';

export const launchWorkflowParamsSchema = z
  .object({
    workflow_job_template: z.string().min(1).max(512).describe('workflow job template name'),
    organization: z.string().min(1).max(512).optional().describe('its organization, when the name is not unique'),
    limit: limitSchema.optional().describe('comma-separated host names, passed to the nodes that prompt for a limit'),
    extra_vars: extraVarsSchema
      .optional()
      .describe('variables for every node: JSON data, type-checked and length-capped'),
    inventory: objectId.optional().describe('inventory id (needs ask_inventory_on_launch)'),
  })
  .strict();
export type LaunchWorkflowParams = z.infer<typeof launchWorkflowParamsSchema>;

/**
 * `ansible.launch_workflow_job_template`: launches a workflow job template and waits for the
 * workflow job. Prompts are read first, as for a job template; a workflow takes no credentials
 * at launch, so the action has no such parameter. The result lists each node with its job and
 * status, and merges the nodes' artifacts (read in one batched `jobs/?id__in=` call).
 */
export const launchWorkflowJobTemplateAction: ActionSpec<LaunchWorkflowParams, LaunchWorkflowResult> = {
  name: 'launch_workflow_job_template',
  risk: playbookRisk,
  description: 'Launch an AWX / AAP workflow job template and wait for the workflow job to finish',
  params: launchWorkflowParamsSchema,
  result: launchWorkflowResultSchema,
};

const KIND = 'workflow_job_template' as const;

export interface LaunchWorkflowDeps {
  client: Pick<
    ControllerClient,
    | 'findWorkflowJobTemplate'
    | 'launch'
    | 'getJob'
    | 'getJobs'
    | 'workflowNodes'
    | 'cancelJob'
    | 'findJobsByTemplateSince'
    | 'findJobsByLabel'
  >;
  pollIntervalMs: number;
  recoverLookbackMs: number;
  now?: () => number;
}

/** Each node as the result shows it: its template, its job (if it ran) and that job's status. */
function nodeResults(nodes: WorkflowNode[], jobs: Map<number, Job>): LaunchWorkflowResult['nodes'] {
  return nodes.map((node) => {
    const job = node.job ? jobs.get(node.job) : undefined;
    return {
      node_id: node.id,
      job_template: node.summary_fields.unified_job_template?.name ?? `#${node.unified_job_template ?? '?'}`,
      job_id: node.job ?? null,
      status: job?.status ?? node.summary_fields.job?.status ?? (node.do_not_run ? 'do_not_run' : 'never_run'),
    };
  });
}

export function createLaunchWorkflowHandler(
  deps: LaunchWorkflowDeps,
): ActionHandler<LaunchWorkflowParams, LaunchWorkflowResult> {
  const now = deps.now ?? Date.now;
  const parse = (input: unknown) =>
    parseParams(launchWorkflowParamsSchema, input, launchWorkflowJobTemplateAction.name);

  async function outcome(workflowJob: Job, ctx: ActionContext): Promise<LaunchWorkflowResult> {
    const nodes = await deps.client.workflowNodes(workflowJob.id, { signal: ctx.signal });
    const jobIds = nodes.flatMap((n) => (n.job ? [n.job] : []));
    const jobs = new Map((await deps.client.getJobs(jobIds, { signal: ctx.signal })).map((j) => [j.id, j]));
    const artifacts = Object.assign(
      {},
      ...jobIds.map((jobId) => (jobs.get(jobId) ? jobArtifacts(jobs.get(jobId)!) : {})),
    ) as Record<string, unknown>;
    return {
      workflow_job_id: workflowJob.id,
      status: workflowJob.status,
      failed: workflowJob.failed,
      elapsed: Number(workflowJob.elapsed) || 0,
      nodes: nodeResults(nodes, jobs),
      artifacts,
    };
  }

  return {
    async start(input, ctx) {
      const params = parse(input);
      const template = await deps.client.findWorkflowJobTemplate(params.workflow_job_template, params.organization, {
        signal: ctx.signal,
      });
      const launched = await deps.client.launch(
        template.id,
        {
          extra_vars: snowlineExtraVars(params.extra_vars, ctx, new Date(now())),
          limit: params.limit,
          inventory: params.inventory,
          idempotencyLabel:
            typeof template.organization === 'number'
              ? { name: idempotencyLabel(ctx.idempotencyKey), organization: template.organization }
              : undefined,
        },
        { signal: ctx.signal, kind: KIND },
      );
      ctx.logger.info('ansible: workflow job template launched', {
        template: template.name,
        templateId: template.id,
        workflowJobId: launched.jobId,
        labeled: launched.labeled,
      });
      return { status: 'pending', ref: String(launched.jobId), checkAfterMs: deps.pollIntervalMs };
    },

    async check(ref, _input, ctx) {
      const workflowJob = await deps.client.getJob(jobIdOf(ref), { signal: ctx.signal, kind: KIND });
      if (!TERMINAL_STATUSES.has(workflowJob.status))
        return { status: 'pending', ref, checkAfterMs: deps.pollIntervalMs };
      const result = await outcome(workflowJob, ctx);
      if (workflowJob.status !== 'successful') {
        const why = workflowJob.job_explanation ? ` (${workflowJob.job_explanation})` : '';
        const failedNodes = result.nodes.filter((n) => n.job_id !== null && n.status !== 'successful');
        throw new ConnectorError(
          CONNECTOR,
          'permanent',
          'job_failed',
          `controller workflow job ${workflowJob.id} ended ${workflowJob.status}${why}`,
          {
            details: {
              workflowJobId: workflowJob.id,
              status: workflowJob.status,
              jobExplanation: workflowJob.job_explanation ?? undefined,
              failedNodes,
            },
          },
        );
      }
      return { status: 'done', result };
    },

    async recover(input, ctx) {
      const params = parse(input);
      const template = await deps.client.findWorkflowJobTemplate(params.workflow_job_template, params.organization, {
        signal: ctx.signal,
      });
      const sinceIso = new Date(now() - deps.recoverLookbackMs).toISOString();
      const workflowJob = await findLaunch(deps.client, template.id, ctx.idempotencyKey, {
        kind: KIND,
        sinceIso,
        signal: ctx.signal,
      });
      if (!workflowJob) return undefined;
      ctx.logger.info('ansible: found the workflow job an earlier attempt launched', {
        workflowJobId: workflowJob.id,
        status: workflowJob.status,
      });
      return String(workflowJob.id);
    },

    async cancel(ref, ctx) {
      await deps.client.cancelJob(jobIdOf(ref), { signal: ctx.signal, kind: KIND });
    },
  };
}
