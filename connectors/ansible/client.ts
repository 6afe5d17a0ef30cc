import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import Bottleneck from 'bottleneck';
import {
  createHttpTransport,
  failedAttempt,
  withRetries,
  type Attempt,
  type HttpTransport,
  type TransportRequest,
  type TransportResponse,
} from '../transport';
import type { RequestLimiter } from '../failover-limiter';
import type { Logger } from 'winston';
import { parse as parseYaml } from 'yaml';
import { ConfigError, ConnectorError } from '../../src/errors';
import { CONNECTOR, errorFromNetwork, errorFromResponse, type RequestFacts } from './errors';
import {
  controllerConfigSchema,
  jobSchema,
  jobTemplateSchema,
  labelSchema,
  launchPromptsSchema,
  launchResponseSchema,
  pageSchema,
  surveySpecSchema,
  workflowNodeSchema,
  type ControllerConfig,
  type ControllerConfigInput,
  type Job,
  type JobTemplate,
  type LaunchPrompts,
  type WorkflowNode,
} from './schemas';

/** The two kinds of template a controller launches, and where each keeps its templates and jobs. */
export type TemplateKind = 'job_template' | 'workflow_job_template';

const KIND_PATHS: Record<TemplateKind, { templates: string; jobs: string; templateFilter: string; noun: string }> = {
  job_template: { templates: 'job_templates/', jobs: 'jobs/', templateFilter: 'job_template', noun: 'job template' },
  workflow_job_template: {
    templates: 'workflow_job_templates/',
    jobs: 'workflow_jobs/',
    templateFilter: 'workflow_job_template',
    noun: 'workflow job template',
  },
};

/** Prompt fields Snowline may send at launch. */
export interface LaunchRequest {
  extra_vars?: Record<string, unknown>;
  limit?: string;
  inventory?: number;
  credentials?: number[];
  labels?: number[];
  /**
   * A label to tag the job with (created in `organization` when missing), so the launch can be
   * found again by `findJobsByLabel`. Only sent when the template prompts for labels; otherwise
   * left off (the launch is then found by its extra_vars).
   */
  idempotencyLabel?: { name: string; organization: number };
}

/** A job (or workflow job) the controller created. */
export interface LaunchedJob {
  jobId: number;
  status: string | undefined;
  /** Whether the idempotency label went with the launch. */
  labeled: boolean;
}

/** One reason a launch is refused before it is sent. */
export interface LaunchProblem {
  code: 'prompt_disabled' | 'not_a_prompt' | 'passwords_needed' | 'variables_needed' | 'inventory_needed';
  /** The request field concerned. */
  field: string;
  /** The template setting that would have to change, when there is one. */
  prompt?: string;
  message: string;
}

/**
 * Why a launch with these fields would not run as asked. AWX drops prompt fields whose
 * `ask_*_on_launch` is off and still answers 201 (https://github.com/ansible/awx/blob/devel/docs/prompting.md): a limit silently dropped
 * runs the job on the whole inventory. So every such field is refused here, naming the prompt to
 * enable. With a survey and no `ask_variables_on_launch`, only the survey's variables are accepted
 * (pass `surveyVariables` to check that; without it any extra_vars are refused). A workflow job
 * template has no credentials prompt at all: its launch drops them without even listing them.
 */
export function launchProblems(
  prompts: LaunchPrompts,
  request: LaunchRequest,
  surveyVariables?: readonly string[],
  kind: TemplateKind = 'job_template',
): LaunchProblem[] {
  const problems: LaunchProblem[] = [];
  const noun = KIND_PATHS[kind].noun;
  const refuse = (field: string, prompt: string, what: string) =>
    problems.push({
      code: 'prompt_disabled',
      field,
      prompt,
      message: `${what} would be ignored: enable "${prompt}" (Prompt on launch) on the ${noun}`,
    });

  const varNames = Object.keys(request.extra_vars ?? {});
  if (varNames.length > 0 && !prompts.ask_variables_on_launch) {
    const allowed = prompts.survey_enabled && surveyVariables ? new Set(surveyVariables) : new Set<string>();
    const dropped = varNames.filter((v) => !allowed.has(v));
    if (dropped.length > 0) refuse('extra_vars', 'ask_variables_on_launch', `extra_vars ${dropped.join(', ')}`);
  }
  if (request.limit !== undefined && !prompts.ask_limit_on_launch)
    refuse('limit', 'ask_limit_on_launch', `limit ${JSON.stringify(request.limit)}`);
  if (request.inventory !== undefined && !prompts.ask_inventory_on_launch)
    refuse('inventory', 'ask_inventory_on_launch', `inventory ${request.inventory}`);
  if (request.credentials && request.credentials.length > 0 && kind === 'workflow_job_template') {
    problems.push({
      code: 'not_a_prompt',
      field: 'credentials',
      message: `credentials ${request.credentials.join(', ')} would be ignored: a workflow job template takes no credentials at launch; set them on its nodes' job templates`,
    });
  } else if (request.credentials && request.credentials.length > 0 && !prompts.ask_credential_on_launch) {
    refuse('credentials', 'ask_credential_on_launch', `credentials ${request.credentials.join(', ')}`);
  }
  if (request.labels && request.labels.length > 0 && !prompts.ask_labels_on_launch)
    refuse('labels', 'ask_labels_on_launch', `labels ${request.labels.join(', ')}`);

  if (prompts.passwords_needed_to_start.length > 0) {
    problems.push({
      code: 'passwords_needed',
      field: 'credential_passwords',
      message: `the template needs passwords at launch (${prompts.passwords_needed_to_start.join(', ')}); store them in its credentials instead`,
    });
  }
  const missing = prompts.variables_needed_to_start.filter((v) => !varNames.includes(v));
  if (missing.length > 0)
    problems.push({
      code: 'variables_needed',
      field: 'extra_vars',
      message: `the template's survey requires ${missing.join(', ')}`,
    });
  if (prompts.inventory_needed_to_start && request.inventory === undefined) {
    problems.push({
      code: 'inventory_needed',
      field: 'inventory',
      message: 'the template has no inventory; give one (and enable ask_inventory_on_launch)',
    });
  }
  return problems;
}

/** A job's `artifacts` (from `set_stats`) as an object; some controllers send them as a JSON string. */
export function jobArtifacts(job: Pick<Job, 'artifacts'>): Record<string, unknown> {
  const a = job.artifacts;
  if (!a) return {};
  if (typeof a === 'object') return a;
  return jobExtraVars({ extra_vars: a }) ?? {};
}

/** The extra_vars of a job as an object (the API returns them as a JSON or YAML string). */
export function jobExtraVars(job: Pick<Job, 'extra_vars'>): Record<string, unknown> | undefined {
  const raw = job.extra_vars;
  if (raw === null || raw === undefined || raw === '') return undefined;
  if (typeof raw === 'object') return raw;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    try {
      const parsed: unknown = parseYaml(raw);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }
}

const TOO_LARGE = /^Standard Output too large to display \(\d+ bytes\)/;
const MAX_PAGE_SIZE = 200;

export interface ControllerClientDeps {
  limiter?: RequestLimiter;
  logger?: Logger;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

interface CtlRequest {
  method: 'GET' | 'POST';
  /** Relative to the API prefix, e.g. `jobs/12/`. */
  path: string;
  params?: Record<string, string>;
  body?: unknown;
  idempotent: boolean;
  responseType?: 'json' | 'text' | 'stream';
  signal?: AbortSignal;
}

type CtlResponse = TransportResponse;

/**
 * AWX / Automation Platform controller client: find and launch job templates and workflow job
 * templates (refusing launches whose fields the template would drop), poll, read output, cancel,
 * and find jobs again by the idempotency label or the key Snowline puts in their extra_vars. GETs
 * are retried on 429, 5xx and network
 * errors; a launch is never repeated by the client once it may have been sent.
 */
export class ControllerClient {
  readonly config: ControllerConfig;
  readonly limiter: RequestLimiter;
  private readonly transport: HttpTransport<RequestFacts>;
  private readonly ownsLimiter: boolean;
  private readonly logger: Logger | undefined;
  private readonly sleep: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly prefix: string;

  constructor(config: ControllerConfigInput, deps: ControllerClientDeps = {}) {
    this.config = controllerConfigSchema.parse(config);
    this.logger = deps.logger;
    this.sleep = deps.sleep;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.ownsLimiter = !deps.limiter;
    this.limiter = deps.limiter ?? new Bottleneck({ maxConcurrent: this.config.maxConcurrent });
    this.prefix = this.config.apiPath;
    const auth: Record<string, string> = {};
    if (this.config.token) auth.Authorization = `Bearer ${this.config.token}`;
    else if (this.config.username && this.config.password) {
      auth.Authorization = `Basic ${Buffer.from(`${this.config.username}:${this.config.password}`, 'utf8').toString('base64')}`;
    }
    this.transport = createHttpTransport({
      connector: CONNECTOR,
      baseUrl: this.config.url,
      timeoutMs: this.config.timeoutMs,
      limiter: this.limiter,
      headers: { Accept: 'application/json', ...auth },
      agents: { ca: loadCa(this.config.caFile), rejectUnauthorized: this.config.verifyTls },
      networkError: errorFromNetwork,
    });
  }

  async close(): Promise<void> {
    this.transport.close();
    if (this.ownsLimiter) await this.limiter.disconnect(false);
  }

  /** `GET job_templates/?name=…[&organization__name=…]`: exactly one template, or a permanent error. */
  findJobTemplate(name: string, organization?: string, options: { signal?: AbortSignal } = {}): Promise<JobTemplate> {
    return this.findTemplate('job_template', name, organization, options);
  }

  /** `GET workflow_job_templates/?name=…[&organization__name=…]`: exactly one, or a permanent error. */
  findWorkflowJobTemplate(
    name: string,
    organization?: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<JobTemplate> {
    return this.findTemplate('workflow_job_template', name, organization, options);
  }

  private async findTemplate(
    kind: TemplateKind,
    name: string,
    organization: string | undefined,
    options: { signal?: AbortSignal },
  ): Promise<JobTemplate> {
    const { templates, noun } = KIND_PATHS[kind];
    const params: Record<string, string> = { name, page_size: '20' };
    if (organization) params.organization__name = organization;
    const res = await this.request({
      method: 'GET',
      path: templates,
      params,
      idempotent: true,
      signal: options.signal,
    });
    const page = parse(pageSchema(jobTemplateSchema), res.data, `${noun} list`);
    const matches = page.results.filter(
      (t) =>
        t.name === name &&
        (!organization ||
          t.summary_fields?.organization?.name === undefined ||
          t.summary_fields.organization.name === organization),
    );
    const where = organization ? ` in organization ${JSON.stringify(organization)}` : '';
    if (matches.length === 0) {
      throw new ConnectorError(
        CONNECTOR,
        'permanent',
        'template_not_found',
        `no ${noun} named ${JSON.stringify(name)}${where} is visible to Snowline's controller user`,
        {
          details: { kind, name, organization },
        },
      );
    }
    if (matches.length > 1) {
      const orgs = matches.map((t) => t.summary_fields?.organization?.name ?? `#${t.organization ?? '?'}`);
      throw new ConnectorError(
        CONNECTOR,
        'permanent',
        'template_ambiguous',
        `${matches.length} ${noun}s are named ${JSON.stringify(name)}${where} (organizations: ${orgs.join(', ')}); name the organization`,
        {
          details: { kind, name, organization, ids: matches.map((t) => t.id) },
        },
      );
    }
    return matches[0]!;
  }

  /** `GET {job,workflow_job}_templates/{id}/launch/`: what the template accepts at launch. */
  async launchPrompts(
    templateId: number,
    options: { signal?: AbortSignal; kind?: TemplateKind } = {},
  ): Promise<LaunchPrompts> {
    const { templates } = KIND_PATHS[options.kind ?? 'job_template'];
    const res = await this.request({
      method: 'GET',
      path: `${templates}${id(templateId)}/launch/`,
      idempotent: true,
      signal: options.signal,
    });
    return parse(launchPromptsSchema, res.data, 'launch prompts');
  }

  /** The variable names of the template's survey (`GET …/{id}/survey_spec/`). */
  async surveyVariables(
    templateId: number,
    options: { signal?: AbortSignal; kind?: TemplateKind } = {},
  ): Promise<string[]> {
    const { templates } = KIND_PATHS[options.kind ?? 'job_template'];
    const res = await this.request({
      method: 'GET',
      path: `${templates}${id(templateId)}/survey_spec/`,
      idempotent: true,
      signal: options.signal,
    });
    return parse(surveySpecSchema, res.data, 'survey spec').spec.map((q) => q.variable);
  }

  /**
   * The id of label `name` in organization `organization`, created when missing
   * (`GET labels/?name=…&organization=…`, else `POST labels/`). Creating twice is harmless: the
   * controller refuses the second (name and organization are unique together) and the label is
   * read again.
   */
  async ensureLabel(name: string, organization: number, options: { signal?: AbortSignal } = {}): Promise<number> {
    const find = async () => {
      const res = await this.request({
        method: 'GET',
        path: 'labels/',
        params: { name, organization: String(id(organization)) },
        idempotent: true,
        signal: options.signal,
      });
      return parse(pageSchema(labelSchema), res.data, 'label list').results.find(
        (l) => l.name === name && l.organization === organization,
      )?.id;
    };
    const existing = await find();
    if (existing !== undefined) return existing;
    try {
      const res = await this.request({
        method: 'POST',
        path: 'labels/',
        body: { name, organization },
        idempotent: true,
        signal: options.signal,
      });
      return parse(labelSchema, res.data, 'label').id;
    } catch (err) {
      const created = await find();
      if (created !== undefined) return created;
      throw err;
    }
  }

  /**
   * Launches a job template (or, with `kind`, a workflow job template). First compares the request
   * with the launch prompts and refuses (`ansible.prompt_disabled` and friends) what the
   * controller would drop or cannot start. Then `POST …/launch/`; should the 201 still list
   * `ignored_fields`, the job has started without them: it is cancelled and
   * `ansible.fields_ignored` reports it (with the job id).
   */
  async launch(
    templateId: number,
    request: LaunchRequest,
    options: { signal?: AbortSignal; kind?: TemplateKind } = {},
  ): Promise<LaunchedJob> {
    const kind = options.kind ?? 'job_template';
    const { templates, noun } = KIND_PATHS[kind];
    const prompts = await this.launchPrompts(templateId, options);
    const needsSurvey =
      Object.keys(request.extra_vars ?? {}).length > 0 && !prompts.ask_variables_on_launch && prompts.survey_enabled;
    const surveyVariables = needsSurvey ? await this.surveyVariables(templateId, options) : undefined;
    const problems = launchProblems(prompts, request, surveyVariables, kind);
    if (problems.length > 0) {
      throw new ConnectorError(
        CONNECTOR,
        'permanent',
        problems[0]!.code,
        `${noun} ${templateId} cannot be launched as asked: ${problems.map((p) => p.message).join('; ')}`,
        {
          details: { templateId, problems },
        },
      );
    }
    const labels = [...(request.labels ?? [])];
    const labelId =
      request.idempotencyLabel && prompts.ask_labels_on_launch
        ? await this.idempotencyLabelId(request.idempotencyLabel, options)
        : undefined;
    if (labelId !== undefined) labels.push(labelId);
    const labeled = labelId !== undefined;
    // Only fields with content: an empty prompt field the template does not ask for would come
    // back in ignored_fields and cost a cancelled job.
    const body: Record<string, unknown> = {};
    if (request.extra_vars && Object.keys(request.extra_vars).length > 0) body.extra_vars = request.extra_vars;
    if (request.limit !== undefined) body.limit = request.limit;
    if (request.inventory !== undefined) body.inventory = request.inventory;
    if (request.credentials && request.credentials.length > 0) body.credentials = request.credentials;
    if (labels.length > 0) body.labels = labels;
    const res = await this.request({
      method: 'POST',
      path: `${templates}${id(templateId)}/launch/`,
      body,
      idempotent: false,
      signal: options.signal,
    });
    let launched;
    try {
      launched = launchResponseSchema.parse(res.data);
    } catch (err) {
      throw new ConnectorError(
        CONNECTOR,
        'ambiguous',
        'ambiguous',
        `the controller answered the launch of ${noun} ${templateId} with HTTP ${res.status} but no job id`,
        { cause: err },
      );
    }
    // `job` for a job template, `workflow_job` for a workflow; `id` is the same number.
    const jobId = launched.job ?? launched.workflow_job ?? launched.id;
    const ignored = Object.keys(launched.ignored_fields);
    if (ignored.length > 0) {
      const canceled = await this.cancelJob(jobId, { kind }).catch(() => false);
      throw new ConnectorError(
        CONNECTOR,
        'permanent',
        'fields_ignored',
        `controller job ${jobId} STARTED without ${ignored.join(', ')} (the template ignored them); ${canceled ? 'it was cancelled' : 'cancelling it failed — check it now'}`,
        { details: { jobId, templateId, ignoredFields: launched.ignored_fields, canceled } },
      );
    }
    this.logger?.info('ansible: job launched', { kind, templateId, jobId, labeled });
    return { jobId, status: launched.status, labeled };
  }

  /**
   * The idempotency label's id; undefined when the controller user may not create labels (403)
   * or the controller refuses it: the launch then goes without, found again by its extra_vars.
   */
  private async idempotencyLabelId(
    label: { name: string; organization: number },
    options: { signal?: AbortSignal },
  ): Promise<number | undefined> {
    try {
      return await this.ensureLabel(label.name, label.organization, options);
    } catch (err) {
      if (!(err instanceof ConnectorError) || err.failure !== 'permanent') throw err;
      this.logger?.warn('ansible: launching without the idempotency label', { label: label.name, error: err.message });
      return undefined;
    }
  }

  /** `GET jobs/{id}/` (or `workflow_jobs/{id}/`). */
  async getJob(jobId: number, options: { signal?: AbortSignal; kind?: TemplateKind } = {}): Promise<Job> {
    const { jobs } = KIND_PATHS[options.kind ?? 'job_template'];
    const res = await this.request({
      method: 'GET',
      path: `${jobs}${id(jobId)}/`,
      idempotent: true,
      signal: options.signal,
    });
    return parse(jobSchema, res.data, 'job');
  }

  /** Many jobs (or workflow jobs) in one call per 200: `GET jobs/?id__in=1,2,3&page_size=3`. */
  async getJobs(
    jobIds: readonly number[],
    options: { signal?: AbortSignal; kind?: TemplateKind } = {},
  ): Promise<Job[]> {
    const path = KIND_PATHS[options.kind ?? 'job_template'].jobs;
    const jobs: Job[] = [];
    const ids = [...new Set(jobIds.map(id))];
    for (let i = 0; i < ids.length; i += MAX_PAGE_SIZE) {
      const chunk = ids.slice(i, i + MAX_PAGE_SIZE);
      const res = await this.request({
        method: 'GET',
        path,
        params: { id__in: chunk.join(','), page_size: String(chunk.length) },
        idempotent: true,
        signal: options.signal,
      });
      jobs.push(...parse(pageSchema(jobSchema), res.data, 'job list').results);
    }
    return jobs;
  }

  /**
   * The job's output as plain text (`stdout/?format=txt`). Above the controller's display cap the
   * answer is a "too large to display" sentence, not output; then `format=txt_download` is read
   * instead. Only the last `maxBytes` are kept.
   */
  async jobStdout(
    jobId: number,
    options: { maxBytes?: number; signal?: AbortSignal } = {},
  ): Promise<{ text: string; truncated: boolean }> {
    const maxBytes = options.maxBytes ?? 1024 * 1024;
    const path = `jobs/${id(jobId)}/stdout/`;
    const res = await this.request({
      method: 'GET',
      path,
      params: { format: 'txt' },
      idempotent: true,
      responseType: 'text',
      signal: options.signal,
    });
    const text = typeof res.data === 'string' ? res.data : String(res.data ?? '');
    if (!TOO_LARGE.test(text.trimStart())) return tail(Buffer.from(text, 'utf8'), maxBytes);
    const download = await this.request({
      method: 'GET',
      path,
      params: { format: 'txt_download' },
      idempotent: true,
      responseType: 'stream',
      signal: options.signal,
    });
    return readTail(download.data as Readable, maxBytes);
  }

  /** The nodes of a workflow job with their jobs (`GET workflow_jobs/{id}/workflow_nodes/`). */
  async workflowNodes(workflowJobId: number, options: { signal?: AbortSignal } = {}): Promise<WorkflowNode[]> {
    const res = await this.request({
      method: 'GET',
      path: `workflow_jobs/${id(workflowJobId)}/workflow_nodes/`,
      params: { page_size: String(MAX_PAGE_SIZE), order_by: 'id' },
      idempotent: true,
      signal: options.signal,
    });
    return parse(pageSchema(workflowNodeSchema), res.data, 'workflow node list').results;
  }

  /**
   * `POST jobs/{id}/cancel/` (or `workflow_jobs/{id}/cancel/`, which cancels its running node
   * too): true when accepted (202), false when the job can no longer be cancelled (405).
   */
  async cancelJob(jobId: number, options: { signal?: AbortSignal; kind?: TemplateKind } = {}): Promise<boolean> {
    const { jobs } = KIND_PATHS[options.kind ?? 'job_template'];
    try {
      // Cancelling twice is harmless, so the request may be repeated.
      await this.request({
        method: 'POST',
        path: `${jobs}${id(jobId)}/cancel/`,
        body: {},
        idempotent: true,
        signal: options.signal,
      });
      return true;
    } catch (err) {
      if (err instanceof ConnectorError && (err.details as { status?: number }).status === 405) return false;
      throw err;
    }
  }

  /**
   * Jobs of a template created at or after `sinceIso`, newest first (`created__gte`, up to
   * `maxPages` pages of 200), each with its extra_vars, for finding a launch again by idempotency key.
   */
  async findJobsByTemplateSince(
    templateId: number,
    sinceIso: string,
    options: { maxPages?: number; signal?: AbortSignal; kind?: TemplateKind } = {},
  ): Promise<Job[]> {
    if (Number.isNaN(Date.parse(sinceIso)))
      throw new ConnectorError(
        CONNECTOR,
        'permanent',
        'bad_request',
        `${JSON.stringify(sinceIso)} is not an ISO date-time`,
      );
    const { jobs: path, templateFilter } = KIND_PATHS[options.kind ?? 'job_template'];
    const jobs: Job[] = [];
    const maxPages = options.maxPages ?? 5;
    for (let page = 1; page <= maxPages; page++) {
      const res = await this.request({
        method: 'GET',
        path,
        params: {
          [templateFilter]: String(id(templateId)),
          created__gte: sinceIso,
          order_by: '-created',
          page_size: String(MAX_PAGE_SIZE),
          page: String(page),
        },
        idempotent: true,
        signal: options.signal,
      });
      const body = parse(pageSchema(jobSchema), res.data, 'job list');
      jobs.push(...body.results);
      if (!body.next) break;
    }
    // Some controller versions leave extra_vars out of list rows; read those jobs one by one.
    const withVars = await Promise.all(
      jobs.map(async (job) => (job.extra_vars === undefined ? this.getJob(job.id, options) : job)),
    );
    return withVars;
  }

  /** Jobs (or workflow jobs) of a template carrying label `name`, newest first (`labels__name=…`). */
  async findJobsByLabel(
    templateId: number,
    name: string,
    options: { signal?: AbortSignal; kind?: TemplateKind } = {},
  ): Promise<Job[]> {
    const { jobs, templateFilter } = KIND_PATHS[options.kind ?? 'job_template'];
    const res = await this.request({
      method: 'GET',
      path: jobs,
      params: { labels__name: name, [templateFilter]: String(id(templateId)), order_by: '-created', page_size: '20' },
      idempotent: true,
      signal: options.signal,
    });
    return parse(pageSchema(jobSchema), res.data, 'job list').results;
  }

  /** A light authenticated call (`GET me/`) for health checks. */
  async ping(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.request({ method: 'GET', path: 'me/', idempotent: true, signal: options.signal });
  }

  /** One request; GETs (and other idempotent ones) are retried on 429, 5xx and network errors. */
  private request(req: CtlRequest): Promise<CtlResponse> {
    const path = `${this.prefix}${req.path}`;
    const facts: RequestFacts = { method: req.method, path, idempotent: req.idempotent };
    const query = req.params ? new URLSearchParams(req.params).toString() : '';
    const outgoing: TransportRequest = {
      method: req.method,
      url: `${path}${query ? `?${query}` : ''}`,
      data: req.body,
      headers: req.body !== undefined ? { 'Content-Type': 'application/json' } : {},
      responseType: req.responseType ?? 'json',
      signal: req.signal,
    };
    const attempt = async (): Promise<Attempt<CtlResponse>> => {
      let res: CtlResponse;
      try {
        res = await this.transport.send(outgoing, facts);
      } catch (err) {
        if (!(err instanceof ConnectorError)) throw err;
        return failedAttempt(err, req.idempotent);
      }
      if (res.status >= 200 && res.status < 300) return { ok: true, value: res };
      const body = req.responseType === 'stream' ? await drain(res.data as Readable) : res.data;
      return failedAttempt(errorFromResponse(res.status, res.headers, body, facts, this.now()), req.idempotent);
    };
    const { retry } = this.config;
    return withRetries(
      attempt,
      { ...retry, maxWaitMs: retry.maxDelayMs * 4 },
      {
        sleep: this.sleep,
        random: this.random,
        signal: req.signal,
        onRetry: (error, n, waitMs) =>
          this.logger?.debug('ansible: retrying', { code: error.code, method: req.method, path, attempt: n, waitMs }),
      },
    );
  }
}

function id(value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new ConnectorError(CONNECTOR, 'permanent', 'bad_request', `${value} is not a controller object id`);
  return value;
}

function parse<T>(
  schema: { safeParse(data: unknown): { success: true; data: T } | { success: false; error: { message: string } } },
  data: unknown,
  what: string,
): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new ConnectorError(
    CONNECTOR,
    'transient',
    'unavailable',
    `the controller's ${what} answer has an unexpected shape (is apiPath right?)`,
    { details: { problem: parsed.error.message.slice(0, 500) } },
  );
}

/** The CA to trust: PEM text given directly (a resolved `file:` reference), or read from a path. */
function loadCa(caFile: string | undefined): string | undefined {
  if (!caFile) return undefined;
  if (caFile.includes('-----BEGIN')) return caFile;
  try {
    return readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new ConfigError([
      `ansible.caFile: ${caFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
}

function tail(buffer: Buffer, maxBytes: number): { text: string; truncated: boolean } {
  if (buffer.byteLength <= maxBytes) return { text: buffer.toString('utf8'), truncated: false };
  // Drop UTF-8 continuation bytes at the cut so the text does not start mid-character.
  let start = buffer.byteLength - maxBytes;
  while (start < buffer.byteLength && (buffer[start]! & 0xc0) === 0x80) start++;
  return { text: buffer.subarray(start).toString('utf8'), truncated: true };
}

async function readTail(stream: Readable, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = false;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    chunks.push(buf);
    size += buf.byteLength;
    while (chunks.length > 1 && size - chunks[0]!.byteLength >= maxBytes) {
      size -= chunks.shift()!.byteLength;
      dropped = true;
    }
  }
  const result = tail(Buffer.concat(chunks), maxBytes);
  return { text: result.text, truncated: result.truncated || dropped };
}

async function drain(stream: Readable | undefined): Promise<string> {
  if (!stream || typeof (stream as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function')
    return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    if (size < 64 * 1024) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    size += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks).toString('utf8');
}
