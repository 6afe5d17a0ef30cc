import {
  isActive,
  type JobRecord,
  type JobTemplate,
  type Label,
  type WorkflowJobRecord,
  type WorkflowTemplate,
} from './awx-model';
import { INVENTORY, ORGANIZATION, PROJECT } from './awx-seed';

/** The sandbox user as the controller shows it (every job is launched by it). */
const USER_ID = 1;

/**
 * Every view takes the API root it is served under, `/api/v2/` or the AAP 2.5+ gateway's
 * `/api/controller/v2/`: the controller's links name the path the client came through.
 */
export type ApiRoot = string;

/** `GET /api/v2/me/`: the sandbox user as a controller user. */
export function meView(userName: string, root: ApiRoot) {
  return {
    id: USER_ID,
    type: 'user',
    url: `${root}users/${USER_ID}/`,
    username: userName,
    first_name: '',
    last_name: '',
    email: '',
    is_superuser: true,
    is_system_auditor: false,
  };
}

/** AWX timestamps: ISO 8601 with microseconds, UTC. */
function awxTime(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const summary = ({ id, name, description }: { id: number; name: string; description: string }) => ({
  id,
  name,
  description,
});

/** `GET /api/v2/job_templates/{id}/`: the fields a client reads, in AWX's shape. */
export function templateView(t: JobTemplate, lastJob: JobRecord | undefined, root: ApiRoot) {
  const url = `${root}job_templates/${t.id}/`;
  return {
    id: t.id,
    type: 'job_template',
    url,
    related: {
      launch: `${url}launch/`,
      jobs: `${url}jobs/`,
      inventory: `${root}inventories/${INVENTORY.id}/`,
      project: `${root}projects/${PROJECT.id}/`,
      organization: `${root}organizations/${ORGANIZATION.id}/`,
    },
    summary_fields: {
      organization: summary(ORGANIZATION),
      inventory: summary(INVENTORY),
      project: summary(PROJECT),
      user_capabilities: { edit: true, delete: true, start: true, schedule: true, copy: true },
    },
    created: '2025-01-01T00:00:00.000000Z',
    modified: '2025-01-01T00:00:00.000000Z',
    name: t.name,
    description: t.description,
    job_type: 'run',
    inventory: INVENTORY.id,
    project: PROJECT.id,
    playbook: t.playbook,
    scm_branch: '',
    forks: 0,
    limit: '',
    verbosity: 0,
    extra_vars: JSON.stringify(t.extraVars),
    job_tags: '',
    force_handlers: false,
    skip_tags: '',
    start_at_task: '',
    timeout: 0,
    use_fact_cache: false,
    organization: ORGANIZATION.id,
    last_job_run: awxTime(lastJob?.finishedMs),
    last_job_failed: lastJob ? failed(lastJob) : false,
    next_job_run: null,
    status: lastJob ? lastJob.status : 'never updated',
    execution_environment: null,
    host_config_key: '',
    ...t.ask,
    survey_enabled: false,
    become_enabled: false,
    diff_mode: false,
    allow_simultaneous: true,
    job_slice_count: 1,
    webhook_service: '',
    webhook_credential: null,
    prevent_instance_group_fallback: false,
  };
}

/** `GET /api/v2/job_templates/{id}/launch/`: what a launch may and must supply (docs/awx-behaviour.md §1.2). */
export function launchInfoView(t: JobTemplate) {
  return {
    can_start_without_user_input: true,
    passwords_needed_to_start: [],
    ...t.ask,
    survey_enabled: false,
    variables_needed_to_start: [],
    credential_needed_to_start: false,
    inventory_needed_to_start: false,
    job_template_data: summary(t),
    defaults: {
      extra_vars: JSON.stringify(t.extraVars),
      diff_mode: false,
      limit: '',
      job_tags: '',
      skip_tags: '',
      job_type: 'run',
      verbosity: 0,
      inventory: { name: INVENTORY.name, id: INVENTORY.id },
      scm_branch: '',
      credentials: [],
    },
  };
}

/** `failed` is true for failed, error and canceled jobs (docs/awx-behaviour.md §1.3). */
function failed(job: Pick<JobRecord, 'status'>): boolean {
  return ['failed', 'error', 'canceled'].includes(job.status);
}

/** `GET /api/v2/jobs/{id}/`: the job's fields (`extra_vars` as a JSON string) in AWX's shape (docs/awx-behaviour.md §1.3). */
export function jobView(job: JobRecord, t: JobTemplate, labels: Label[], root: ApiRoot) {
  const url = `${root}jobs/${job.id}/`;
  const launchedBy = { id: USER_ID, name: job.launchedBy, type: 'user', url: `${root}users/${USER_ID}/` };
  const elapsed =
    job.startedMs !== undefined && job.finishedMs !== undefined ? (job.finishedMs - job.startedMs) / 1000 : 0;
  return {
    id: job.id,
    type: 'job',
    url,
    related: {
      stdout: `${url}stdout/`,
      cancel: `${url}cancel/`,
      relaunch: `${url}relaunch/`,
      job_events: `${url}job_events/`,
      job_host_summaries: `${url}job_host_summaries/`,
      job_template: `${root}job_templates/${t.id}/`,
      unified_job_template: `${root}job_templates/${t.id}/`,
      inventory: `${root}inventories/${job.inventory}/`,
      project: `${root}projects/${PROJECT.id}/`,
      organization: `${root}organizations/${ORGANIZATION.id}/`,
      labels: `${url}labels/`,
      ...(job.workflowJobId === undefined ? {} : { source_workflow_job: `${root}workflow_jobs/${job.workflowJobId}/` }),
    },
    summary_fields: {
      organization: summary(ORGANIZATION),
      inventory: summary(INVENTORY),
      project: summary(PROJECT),
      job_template: summary(t),
      unified_job_template: { ...summary(t), unified_job_type: 'job' },
      launched_by: launchedBy,
      labels: labelsSummary(labels),
      ...(job.workflowJobId === undefined
        ? {}
        : {
            source_workflow_job: {
              id: job.workflowJobId,
              name: '',
              description: '',
              status: '',
              failed: false,
              elapsed: 0,
            },
          }),
      user_capabilities: { delete: !isActive(job.status), start: true },
    },
    created: awxTime(job.createdMs),
    modified: awxTime(job.finishedMs ?? job.startedMs ?? job.createdMs),
    name: t.name,
    description: t.description,
    job_type: job.jobType,
    inventory: job.inventory,
    project: PROJECT.id,
    playbook: t.playbook,
    scm_branch: job.scmBranch,
    forks: 0,
    limit: job.limit,
    verbosity: job.verbosity,
    extra_vars: JSON.stringify(job.extraVars),
    job_tags: job.jobTags,
    force_handlers: false,
    skip_tags: job.skipTags,
    start_at_task: '',
    timeout: 0,
    use_fact_cache: false,
    organization: ORGANIZATION.id,
    unified_job_template: t.id,
    launch_type: job.workflowJobId === undefined ? 'manual' : 'workflow',
    status: job.status,
    execution_environment: null,
    failed: failed(job),
    started: awxTime(job.startedMs),
    finished: awxTime(job.finishedMs),
    canceled_on: awxTime(job.canceledMs),
    elapsed: Number(elapsed.toFixed(3)),
    job_explanation: '',
    execution_node: job.startedMs === undefined ? '' : 'sandbox',
    controller_node: job.startedMs === undefined ? '' : 'sandbox',
    result_traceback: '',
    event_processing_finished: !isActive(job.status),
    launched_by: launchedBy,
    work_unit_id: null,
    job_template: t.id,
    passwords_needed_to_start: [],
    allow_simultaneous: true,
    artifacts: job.artifacts,
    scm_revision: '',
    instance_group: 1,
    diff_mode: job.diffMode,
    job_slice_number: 0,
    job_slice_count: 1,
    webhook_service: '',
    webhook_credential: null,
    webhook_guid: '',
  };
}

/** `summary_fields.labels` of a job or workflow job: `{count, results: [{id, name}]}`. */
function labelsSummary(labels: Label[]) {
  return { count: labels.length, results: labels.map(({ id, name }) => ({ id, name })) };
}

/** `GET /labels/{id}/`. */
export function labelView(label: Label, root: ApiRoot) {
  return {
    id: label.id,
    type: 'label',
    url: `${root}labels/${label.id}/`,
    related: { organization: `${root}organizations/${label.organization}/` },
    summary_fields: { organization: summary(ORGANIZATION) },
    created: '2025-01-01T00:00:00.000000Z',
    modified: '2025-01-01T00:00:00.000000Z',
    name: label.name,
    organization: label.organization,
  };
}

/** `GET /workflow_job_templates/{id}/`: the fields a client reads, in AWX's shape. */
export function workflowTemplateView(t: WorkflowTemplate, lastJob: WorkflowJobRecord | undefined, root: ApiRoot) {
  const url = `${root}workflow_job_templates/${t.id}/`;
  return {
    id: t.id,
    type: 'workflow_job_template',
    url,
    related: {
      launch: `${url}launch/`,
      workflow_jobs: `${url}workflow_jobs/`,
      workflow_nodes: `${url}workflow_nodes/`,
      survey_spec: `${url}survey_spec/`,
      organization: `${root}organizations/${ORGANIZATION.id}/`,
    },
    summary_fields: {
      organization: summary(ORGANIZATION),
      user_capabilities: { edit: true, delete: true, start: true, schedule: true, copy: true },
    },
    created: '2025-01-01T00:00:00.000000Z',
    modified: '2025-01-01T00:00:00.000000Z',
    name: t.name,
    description: t.description,
    last_job_run: awxTime(lastJob?.finishedMs),
    last_job_failed: lastJob ? failed(lastJob) : false,
    next_job_run: null,
    status: lastJob ? lastJob.status : 'never updated',
    extra_vars: JSON.stringify(t.extraVars),
    organization: ORGANIZATION.id,
    survey_enabled: false,
    allow_simultaneous: true,
    ...t.ask,
    inventory: null,
    limit: null,
    scm_branch: null,
    job_tags: null,
    skip_tags: null,
    webhook_service: '',
    webhook_credential: null,
  };
}

/** `GET /workflow_job_templates/{id}/launch/`: the workflow's prompts (it has no credential prompt). */
export function workflowLaunchInfoView(t: WorkflowTemplate) {
  return {
    ...t.ask,
    can_start_without_user_input: true,
    extra_vars: JSON.stringify(t.extraVars),
    survey_enabled: false,
    variables_needed_to_start: [],
    node_templates_missing: [],
    node_prompts_rejected: [],
    workflow_job_template_data: summary(t),
    defaults: {
      extra_vars: JSON.stringify(t.extraVars),
      inventory: { name: null, id: null },
      limit: null,
      scm_branch: null,
      labels: [],
      job_tags: null,
      skip_tags: null,
    },
  };
}

/** `GET /workflow_jobs/{id}/`: a workflow job has no stdout and no artifacts of its own. */
export function workflowJobView(w: WorkflowJobRecord, t: WorkflowTemplate, labels: Label[], root: ApiRoot) {
  const url = `${root}workflow_jobs/${w.id}/`;
  const launchedBy = { id: USER_ID, name: w.launchedBy, type: 'user', url: `${root}users/${USER_ID}/` };
  const elapsed = w.startedMs !== undefined && w.finishedMs !== undefined ? (w.finishedMs - w.startedMs) / 1000 : 0;
  return {
    id: w.id,
    type: 'workflow_job',
    url,
    related: {
      workflow_nodes: `${url}workflow_nodes/`,
      labels: `${url}labels/`,
      cancel: `${url}cancel/`,
      relaunch: `${url}relaunch/`,
      workflow_job_template: `${root}workflow_job_templates/${t.id}/`,
      unified_job_template: `${root}workflow_job_templates/${t.id}/`,
    },
    summary_fields: {
      organization: summary(ORGANIZATION),
      workflow_job_template: summary(t),
      unified_job_template: { ...summary(t), unified_job_type: 'workflow_job' },
      launched_by: launchedBy,
      labels: labelsSummary(labels),
      user_capabilities: { delete: !isActive(w.status), start: true },
    },
    created: awxTime(w.createdMs),
    modified: awxTime(w.finishedMs ?? w.startedMs ?? w.createdMs),
    name: t.name,
    description: t.description,
    unified_job_template: t.id,
    launch_type: 'manual',
    status: w.status,
    failed: failed(w),
    started: awxTime(w.startedMs),
    finished: awxTime(w.finishedMs),
    canceled_on: awxTime(w.canceledMs),
    elapsed: Number(elapsed.toFixed(3)),
    job_explanation: w.jobExplanation,
    launched_by: launchedBy,
    work_unit_id: null,
    workflow_job_template: t.id,
    extra_vars: JSON.stringify(w.extraVars),
    allow_simultaneous: true,
    job_template: null,
    is_sliced_job: false,
    inventory: null,
    limit: w.limit || null,
    scm_branch: null,
    webhook_service: '',
    webhook_credential: null,
    webhook_guid: '',
    skip_tags: null,
    job_tags: null,
  };
}

/** `GET /workflow_jobs/{id}/workflow_nodes/` rows: each node, its template, and its job once launched. */
export function workflowNodeView(
  w: WorkflowJobRecord,
  workflow: WorkflowTemplate,
  index: number,
  template: JobTemplate,
  job: JobRecord | undefined,
  root: ApiRoot,
) {
  const node = w.nodes[index]!;
  const next = w.nodes[index + 1];
  const url = `${root}workflow_job_nodes/${node.id}/`;
  const ended = !isActive(w.status);
  return {
    id: node.id,
    type: 'workflow_job_node',
    url,
    related: {
      workflow_job: `${root}workflow_jobs/${w.id}/`,
      unified_job_template: `${root}job_templates/${template.id}/`,
      ...(job ? { job: `${root}jobs/${job.id}/` } : {}),
    },
    summary_fields: {
      workflow_job: { id: w.id, name: workflow.name, description: workflow.description },
      unified_job_template: { ...summary(template), unified_job_type: 'job' },
      ...(job
        ? {
            job: {
              id: job.id,
              name: template.name,
              description: template.description,
              status: job.status,
              failed: failed(job),
              elapsed: 0,
              type: 'job',
            },
          }
        : {}),
    },
    created: awxTime(w.createdMs),
    modified: awxTime(w.createdMs),
    extra_data: {},
    inventory: null,
    scm_branch: null,
    job_type: null,
    job_tags: null,
    skip_tags: null,
    limit: null,
    diff_mode: null,
    verbosity: null,
    job: job?.id ?? null,
    workflow_job: w.id,
    unified_job_template: template.id,
    success_nodes: next ? [next.id] : [],
    failure_nodes: [],
    always_nodes: [],
    all_parents_must_converge: false,
    do_not_run: ended && job === undefined,
    identifier: `node-${index + 1}`,
  };
}
