import { ConnectorError } from '../../src/errors';
import { CONNECTOR } from './errors';
import { cancelJob } from './controller-jobs';
import { id, parse, type ControllerRequests } from './controller-requests';
import { launchProblems, type LaunchRequest } from './launch-problems';
import {
  jobTemplatePageSchema,
  labelPageSchema,
  labelSchema,
  launchPromptsSchema,
  launchResponseSchema,
  surveySpecSchema,
  type JobTemplate,
  type LaunchPrompts,
} from './schemas';
import { KIND_PATHS, type TemplateKind } from './template-kinds';

/** Job templates and workflow job templates: finding them, their prompts and surveys, labels, and launching. */

/** A job (or workflow job) the controller created. */
export interface LaunchedJob {
  jobId: number;
  status: string | undefined;
  /** Whether the idempotency label went with the launch. */
  labeled: boolean;
}

export async function findTemplate(
  api: ControllerRequests,
  kind: TemplateKind,
  name: string,
  organization: string | undefined,
  options: { signal?: AbortSignal },
): Promise<JobTemplate> {
  const { templates, noun } = KIND_PATHS[kind];
  const params: Record<string, string> = { name, page_size: '20' };
  if (organization) params.organization__name = organization;
  const res = await api.request({
    method: 'GET',
    path: templates,
    params,
    idempotent: true,
    signal: options.signal,
    reuseForMs: api.config.templateCacheMs,
  });
  const page = parse(jobTemplatePageSchema, res.data, `${noun} list`);
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
export async function launchPrompts(
  api: ControllerRequests,
  templateId: number,
  options: { signal?: AbortSignal; kind?: TemplateKind } = {},
): Promise<LaunchPrompts> {
  const { templates } = KIND_PATHS[options.kind ?? 'job_template'];
  const res = await api.request({
    method: 'GET',
    path: `${templates}${id(templateId)}/launch/`,
    idempotent: true,
    signal: options.signal,
    reuseForMs: api.config.templateCacheMs,
  });
  return parse(launchPromptsSchema, res.data, 'launch prompts');
}

/** The variable names of the template's survey (`GET …/{id}/survey_spec/`). */
export async function surveyVariables(
  api: ControllerRequests,
  templateId: number,
  options: { signal?: AbortSignal; kind?: TemplateKind } = {},
): Promise<string[]> {
  const { templates } = KIND_PATHS[options.kind ?? 'job_template'];
  const res = await api.request({
    method: 'GET',
    path: `${templates}${id(templateId)}/survey_spec/`,
    idempotent: true,
    signal: options.signal,
    reuseForMs: api.config.templateCacheMs,
  });
  return parse(surveySpecSchema, res.data, 'survey spec').spec.map((q) => q.variable);
}

/**
 * The id of label `name` in organization `organization`, created when missing. Created first
 * (`POST labels/`), as an idempotency label is new on every first launch: one request, where
 * looking first costs two. When the controller refuses (the label exists, as name and organization
 * are unique together; or the user may not create labels) it is looked up
 * (`GET labels/?name=…&organization=…`).
 */
export async function ensureLabel(
  api: ControllerRequests,
  name: string,
  organization: number,
  options: { signal?: AbortSignal } = {},
): Promise<number> {
  const find = async () => {
    const res = await api.request({
      method: 'GET',
      path: 'labels/',
      params: { name, organization: String(id(organization)) },
      idempotent: true,
      signal: options.signal,
    });
    return parse(labelPageSchema, res.data, 'label list').results.find(
      (l) => l.name === name && l.organization === organization,
    )?.id;
  };
  try {
    const res = await api.request({
      method: 'POST',
      path: 'labels/',
      body: { name, organization },
      idempotent: true,
      signal: options.signal,
    });
    return parse(labelSchema, res.data, 'label').id;
  } catch (err) {
    const existing = await find();
    if (existing !== undefined) return existing;
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
export async function launch(
  api: ControllerRequests,
  templateId: number,
  request: LaunchRequest,
  options: { signal?: AbortSignal; kind?: TemplateKind } = {},
): Promise<LaunchedJob> {
  const kind = options.kind ?? 'job_template';
  const { templates, noun } = KIND_PATHS[kind];
  const prompts = await launchPrompts(api, templateId, options);
  const needsSurvey =
    Object.keys(request.extra_vars ?? {}).length > 0 && !prompts.ask_variables_on_launch && prompts.survey_enabled;
  const surveyNames = needsSurvey ? await surveyVariables(api, templateId, options) : undefined;
  const problems = launchProblems(prompts, request, surveyNames, kind);
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
      ? await idempotencyLabelId(api, request.idempotencyLabel, options)
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
  const res = await api.request({
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
    const canceled = await cancelJob(api, jobId, { kind }).catch(() => false);
    throw new ConnectorError(
      CONNECTOR,
      'permanent',
      'fields_ignored',
      `controller job ${jobId} STARTED without ${ignored.join(', ')} (the template ignored them); ${canceled ? 'it was cancelled' : 'cancelling it failed — check it now'}`,
      { details: { jobId, templateId, ignoredFields: launched.ignored_fields, canceled } },
    );
  }
  api.logger?.info('ansible: job launched', { kind, templateId, jobId, labeled });
  return { jobId, status: launched.status, labeled };
}

/**
 * The idempotency label's id; undefined when the controller user may not create labels (403)
 * or the controller refuses it: the launch then goes without, found again by its extra_vars.
 */
async function idempotencyLabelId(
  api: ControllerRequests,
  label: { name: string; organization: number },
  options: { signal?: AbortSignal },
): Promise<number | undefined> {
  try {
    return await ensureLabel(api, label.name, label.organization, options);
  } catch (err) {
    if (!(err instanceof ConnectorError) || err.failure !== 'permanent') throw err;
    api.logger?.warn('ansible: launching without the idempotency label', { label: label.name, error: err.message });
    return undefined;
  }
}
