import { z } from 'zod';

/** Extra var that makes a sandbox job fail, for rehearsing failure paths: `sandbox_fail: true`. */
export const FAIL_VAR = 'sandbox_fail';
/** Extra var whose dictionary becomes the job's `artifacts`, as a playbook's `set_stats` would. */
export const ARTIFACTS_VAR = 'sandbox_artifacts';

/** docs/awx-behaviour.md §1.3 job statuses; the first four are active (cancelable), the rest terminal. */
const ACTIVE_STATUSES = ['new', 'pending', 'waiting', 'running'] as const;
export const JOB_STATUSES = [...ACTIVE_STATUSES, 'successful', 'failed', 'error', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The 16 `ask_*_on_launch` flags of a job template (docs/awx-behaviour.md §1.2). */
export const ASK_FLAGS = [
  'ask_scm_branch_on_launch',
  'ask_diff_mode_on_launch',
  'ask_variables_on_launch',
  'ask_limit_on_launch',
  'ask_tags_on_launch',
  'ask_skip_tags_on_launch',
  'ask_job_type_on_launch',
  'ask_verbosity_on_launch',
  'ask_inventory_on_launch',
  'ask_credential_on_launch',
  'ask_execution_environment_on_launch',
  'ask_labels_on_launch',
  'ask_forks_on_launch',
  'ask_job_slice_count_on_launch',
  'ask_timeout_on_launch',
  'ask_instance_groups_on_launch',
] as const;
export type AskFlag = (typeof ASK_FLAGS)[number];

/** A job template of the sandbox controller. */
export interface JobTemplate {
  id: number;
  name: string;
  description: string;
  playbook: string;
  /** The template's own extra vars; launch-time vars are merged over them. */
  extraVars: Record<string, unknown>;
  /** Names of the playbook's tasks after fact gathering; `{{ var }}` shows an extra var. */
  tasks: string[];
  /** Which prompts a launch may answer; the others are ignored (docs/awx-behaviour.md §1.2). */
  ask: Record<AskFlag, boolean>;
}

/** A launched job as the controller keeps it (and the state file saves it). Times are epoch ms. */
export const jobRecordSchema = z.object({
  id: z.number().int(),
  templateId: z.number().int(),
  status: z.enum(JOB_STATUSES),
  /** What the job ends as if nobody cancels it. */
  outcome: z.enum(['successful', 'failed']),
  createdMs: z.number(),
  durationMs: z.number(),
  startedMs: z.number().optional(),
  finishedMs: z.number().optional(),
  canceledMs: z.number().optional(),
  launchedBy: z.string(),
  limit: z.string(),
  extraVars: z.record(z.string(), z.unknown()),
  jobType: z.string(),
  jobTags: z.string(),
  skipTags: z.string(),
  verbosity: z.number().int(),
  diffMode: z.boolean(),
  scmBranch: z.string(),
  inventory: z.number().int(),
  artifacts: z.record(z.string(), z.unknown()),
  /** Label ids given at launch (state files written before labels existed have none). */
  labels: z.array(z.number().int()).default([]),
  /** The workflow job that launched this job as one of its nodes. */
  workflowJobId: z.number().int().optional(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

/** The `ask_*_on_launch` flags of a workflow job template: it has no credential, job type or verbosity prompts. */
export const WORKFLOW_ASK_FLAGS = [
  'ask_variables_on_launch',
  'ask_limit_on_launch',
  'ask_inventory_on_launch',
  'ask_scm_branch_on_launch',
  'ask_labels_on_launch',
  'ask_tags_on_launch',
  'ask_skip_tags_on_launch',
] as const satisfies readonly AskFlag[];
export type WorkflowAskFlag = (typeof WORKFLOW_ASK_FLAGS)[number];

/**
 * A workflow job template of the sandbox controller. Its nodes run one after the other, each
 * on success of the one before (AWX `success_nodes`); a failed node ends the workflow `failed`.
 */
export interface WorkflowTemplate {
  id: number;
  name: string;
  description: string;
  extraVars: Record<string, unknown>;
  /** Job template ids, in the order the nodes run. */
  nodes: number[];
  ask: Record<WorkflowAskFlag, boolean>;
}

/** A label: a name unique within its organization, attached to jobs at launch. */
export const labelSchema = z.object({ id: z.number().int(), name: z.string(), organization: z.number().int() });
export type Label = z.infer<typeof labelSchema>;

/** One node of a workflow job: the template it runs and, once launched, its job. */
export const workflowNodeRecordSchema = z.object({
  id: z.number().int(),
  templateId: z.number().int(),
  jobId: z.number().int().optional(),
});

/** A launched workflow job. Times are epoch ms; ids share the job id sequence, as AWX's unified jobs do. */
export const workflowJobRecordSchema = z.object({
  id: z.number().int(),
  workflowTemplateId: z.number().int(),
  status: z.enum(JOB_STATUSES),
  createdMs: z.number(),
  startedMs: z.number().optional(),
  finishedMs: z.number().optional(),
  canceledMs: z.number().optional(),
  launchedBy: z.string(),
  limit: z.string(),
  extraVars: z.record(z.string(), z.unknown()),
  labels: z.array(z.number().int()),
  jobExplanation: z.string().default(''),
  nodes: z.array(workflowNodeRecordSchema),
});
export type WorkflowJobRecord = z.infer<typeof workflowJobRecordSchema>;

export function isActive(status: JobStatus): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

// Workflow jobs, labels and node ids arrived later: older saved states have none.
export const snapshotSchema = z.object({
  nextJobId: z.number().int().positive(),
  jobs: z.array(jobRecordSchema),
  workflowJobs: z.array(workflowJobRecordSchema).default([]),
  labels: z.array(labelSchema).default([]),
  nextLabelId: z.number().int().positive().default(1),
  nextNodeId: z.number().int().positive().default(1),
});

/** The controller's jobs as saved in the sandbox store. */
export type ControllerSnapshot = z.infer<typeof snapshotSchema>;
