import { isActive, type JobRecord, type JobTemplate } from './awx-model';
import { INVENTORY, ORGANIZATION, PROJECT } from './awx-seed';

/** The sandbox user as the controller shows it (every job is launched by it). */
const USER_ID = 1;

/** `GET /api/v2/me/`: the sandbox user as a controller user. */
export function meView(userName: string) {
  return { id: USER_ID, type: 'user', url: `/api/v2/users/${USER_ID}/`, username: userName, first_name: '', last_name: '', email: '', is_superuser: true, is_system_auditor: false };
}

/** AWX timestamps: ISO 8601 with microseconds, UTC. */
function awxTime(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const summary = ({ id, name, description }: { id: number; name: string; description: string }) => ({ id, name, description });

/** `GET /api/v2/job_templates/{id}/`: the fields a client reads, in AWX's shape. */
export function templateView(t: JobTemplate, lastJob: JobRecord | undefined) {
  const url = `/api/v2/job_templates/${t.id}/`;
  return {
    id: t.id,
    type: 'job_template',
    url,
    related: { launch: `${url}launch/`, jobs: `${url}jobs/`, inventory: `/api/v2/inventories/${INVENTORY.id}/`, project: `/api/v2/projects/${PROJECT.id}/`, organization: `/api/v2/organizations/${ORGANIZATION.id}/` },
    summary_fields: { organization: summary(ORGANIZATION), inventory: summary(INVENTORY), project: summary(PROJECT), user_capabilities: { edit: true, delete: true, start: true, schedule: true, copy: true } },
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

/** `GET /api/v2/job_templates/{id}/launch/`: what a launch may and must supply (§1.2). */
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

/** `failed` is true for failed, error and canceled jobs (§1.3). */
function failed(job: JobRecord): boolean {
  return ['failed', 'error', 'canceled'].includes(job.status);
}

/** `GET /api/v2/jobs/{id}/`: the §1.3 fields (`extra_vars` as a JSON string) in AWX's shape. */
export function jobView(job: JobRecord, t: JobTemplate) {
  const url = `/api/v2/jobs/${job.id}/`;
  const launchedBy = { id: USER_ID, name: job.launchedBy, type: 'user', url: `/api/v2/users/${USER_ID}/` };
  const elapsed = job.startedMs !== undefined && job.finishedMs !== undefined ? (job.finishedMs - job.startedMs) / 1000 : 0;
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
      job_template: `/api/v2/job_templates/${t.id}/`,
      unified_job_template: `/api/v2/job_templates/${t.id}/`,
      inventory: `/api/v2/inventories/${job.inventory}/`,
      project: `/api/v2/projects/${PROJECT.id}/`,
      organization: `/api/v2/organizations/${ORGANIZATION.id}/`,
    },
    summary_fields: {
      organization: summary(ORGANIZATION),
      inventory: summary(INVENTORY),
      project: summary(PROJECT),
      job_template: summary(t),
      unified_job_template: { ...summary(t), unified_job_type: 'job' },
      launched_by: launchedBy,
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
    launch_type: 'manual',
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
