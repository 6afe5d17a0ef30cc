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
import { ensureLabel, findTemplate, launch, launchPrompts, surveyVariables } from './controller-templates';
import type { ControllerConfig, ControllerConfigInput, JobTemplate } from './schemas';

export type { ControllerClientDeps } from './controller-requests';
export type { LaunchedJob } from './controller-templates';
export { jobArtifacts, jobExtraVars } from './job-values';
export { launchProblems, type LaunchProblem, type LaunchRequest } from './launch-problems';
export type { TemplateKind } from './template-kinds';

/** The parameters of a request function after the controller it sends to. */
type ApiArgs<F> = F extends (api: ControllerRequests, ...args: infer A) => unknown ? A : never;

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
  launchPrompts(...args: ApiArgs<typeof launchPrompts>) {
    return launchPrompts(this.api, ...args);
  }

  /** The variable names of the template's survey. */
  surveyVariables(...args: ApiArgs<typeof surveyVariables>) {
    return surveyVariables(this.api, ...args);
  }

  /** The id of label `name` in organization `organization`, created when missing. */
  ensureLabel(...args: ApiArgs<typeof ensureLabel>) {
    return ensureLabel(this.api, ...args);
  }

  /** Launches a job template (or, with `kind`, a workflow job template) after checking its prompts. */
  launch(...args: ApiArgs<typeof launch>) {
    return launch(this.api, ...args);
  }

  /** `GET jobs/{id}/` (or `workflow_jobs/{id}/`). */
  getJob(...args: ApiArgs<typeof getJob>) {
    return getJob(this.api, ...args);
  }

  /** Many jobs (or workflow jobs) in one call per 200. */
  getJobs(...args: ApiArgs<typeof getJobs>) {
    return getJobs(this.api, ...args);
  }

  /** The job's output as plain text, its last `maxBytes` only. */
  jobStdout(...args: ApiArgs<typeof jobStdout>) {
    return jobStdout(this.api, ...args);
  }

  /** The nodes of a workflow job with their jobs. */
  workflowNodes(...args: ApiArgs<typeof workflowNodes>) {
    return workflowNodes(this.api, ...args);
  }

  /** True when the cancel was accepted (202), false when the job can no longer be cancelled (405). */
  cancelJob(...args: ApiArgs<typeof cancelJob>) {
    return cancelJob(this.api, ...args);
  }

  /** Jobs of a template created at or after `sinceIso`, newest first, each with its extra_vars. */
  findJobsByTemplateSince(...args: ApiArgs<typeof findJobsByTemplateSince>) {
    return findJobsByTemplateSince(this.api, ...args);
  }

  /** Jobs (or workflow jobs) of a template carrying label `name`, newest first. */
  findJobsByLabel(...args: ApiArgs<typeof findJobsByLabel>) {
    return findJobsByLabel(this.api, ...args);
  }

  /** A light authenticated call (`GET me/`) for health checks. */
  async ping(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.api.request({ method: 'GET', path: 'me/', idempotent: true, signal: options.signal });
  }
}
