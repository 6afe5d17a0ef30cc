import type { RequestLimiter } from '../failover-limiter';
import {
  cancelJob,
  findJobsByLabel,
  findJobsByTemplateSince,
  getJob,
  getJobs,
  jobStdout,
  workflowNodes,
} from './controller-jobs';
import { ControllerRequests, type ControllerClientDeps } from './controller-requests';
import {
  ensureLabel,
  findTemplate,
  launch,
  launchPrompts,
  surveyVariables,
  type LaunchedJob,
} from './controller-templates';
import type { LaunchRequest } from './launch-problems';
import type { ControllerConfig, ControllerConfigInput, Job, JobTemplate, LaunchPrompts, WorkflowNode } from './schemas';
import type { TemplateKind } from './template-kinds';

export type { ControllerClientDeps } from './controller-requests';
export type { LaunchedJob } from './controller-templates';
export { jobArtifacts, jobExtraVars } from './job-values';
export { launchProblems, type LaunchProblem, type LaunchRequest } from './launch-problems';
export type { TemplateKind } from './template-kinds';

/**
 * AWX / Automation Platform controller client: find and launch job templates and workflow job
 * templates, refusing launches whose fields the template would drop (`controller-templates.ts`,
 * `launch-problems.ts`); poll, read output, cancel, and find jobs again by the idempotency label or
 * the key Snowline puts in their extra_vars (`controller-jobs.ts`). Requests, their limiter and
 * retries are in `controller-requests.ts`.
 */
export class ControllerClient {
  readonly config: ControllerConfig;
  readonly limiter: RequestLimiter;
  private readonly api: ControllerRequests;

  constructor(config: ControllerConfigInput, deps: ControllerClientDeps = {}) {
    this.api = new ControllerRequests(config, deps);
    this.config = this.api.config;
    this.limiter = this.api.limiter;
  }

  close(): Promise<void> {
    return this.api.close();
  }

  /** `GET job_templates/?name=…[&organization__name=…]`: exactly one template, or a permanent error. */
  findJobTemplate(name: string, organization?: string, options: { signal?: AbortSignal } = {}): Promise<JobTemplate> {
    return findTemplate(this.api, 'job_template', name, organization, options);
  }

  /** `GET workflow_job_templates/?name=…[&organization__name=…]`: exactly one, or a permanent error. */
  findWorkflowJobTemplate(
    name: string,
    organization?: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<JobTemplate> {
    return findTemplate(this.api, 'workflow_job_template', name, organization, options);
  }

  /** `GET {job,workflow_job}_templates/{id}/launch/`: what the template accepts at launch. */
  launchPrompts(
    templateId: number,
    options: { signal?: AbortSignal; kind?: TemplateKind } = {},
  ): Promise<LaunchPrompts> {
    return launchPrompts(this.api, templateId, options);
  }

  /** The variable names of the template's survey. */
  surveyVariables(templateId: number, options: { signal?: AbortSignal; kind?: TemplateKind } = {}): Promise<string[]> {
    return surveyVariables(this.api, templateId, options);
  }

  /** The id of label `name` in organization `organization`, created when missing. */
  ensureLabel(name: string, organization: number, options: { signal?: AbortSignal } = {}): Promise<number> {
    return ensureLabel(this.api, name, organization, options);
  }

  /** Launches a job template (or, with `kind`, a workflow job template) after checking its prompts. */
  launch(
    templateId: number,
    request: LaunchRequest,
    options: { signal?: AbortSignal; kind?: TemplateKind } = {},
  ): Promise<LaunchedJob> {
    return launch(this.api, templateId, request, options);
  }

  /** `GET jobs/{id}/` (or `workflow_jobs/{id}/`). */
  getJob(jobId: number, options: { signal?: AbortSignal; kind?: TemplateKind } = {}): Promise<Job> {
    return getJob(this.api, jobId, options);
  }

  /** Many jobs (or workflow jobs) in one call per 200. */
  getJobs(jobIds: readonly number[], options: { signal?: AbortSignal; kind?: TemplateKind } = {}): Promise<Job[]> {
    return getJobs(this.api, jobIds, options);
  }

  /** The job's output as plain text, its last `maxBytes` only. */
  jobStdout(
    jobId: number,
    options: { maxBytes?: number; signal?: AbortSignal } = {},
  ): Promise<{ text: string; truncated: boolean }> {
    return jobStdout(this.api, jobId, options);
  }

  /** The nodes of a workflow job with their jobs. */
  workflowNodes(workflowJobId: number, options: { signal?: AbortSignal } = {}): Promise<WorkflowNode[]> {
    return workflowNodes(this.api, workflowJobId, options);
  }

  /** True when the cancel was accepted (202), false when the job can no longer be cancelled (405). */
  cancelJob(jobId: number, options: { signal?: AbortSignal; kind?: TemplateKind } = {}): Promise<boolean> {
    return cancelJob(this.api, jobId, options);
  }

  /** Jobs of a template created at or after `sinceIso`, newest first, each with its extra_vars. */
  findJobsByTemplateSince(
    templateId: number,
    sinceIso: string,
    options: { maxPages?: number; signal?: AbortSignal; kind?: TemplateKind } = {},
  ): Promise<Job[]> {
    return findJobsByTemplateSince(this.api, templateId, sinceIso, options);
  }

  /** Jobs (or workflow jobs) of a template carrying label `name`, newest first. */
  findJobsByLabel(
    templateId: number,
    name: string,
    options: { signal?: AbortSignal; kind?: TemplateKind } = {},
  ): Promise<Job[]> {
    return findJobsByLabel(this.api, templateId, name, options);
  }

  /** A light authenticated call (`GET me/`) for health checks. */
  async ping(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.api.request({ method: 'GET', path: 'me/', idempotent: true, signal: options.signal });
  }
}
