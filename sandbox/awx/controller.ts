import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors';
import {
  ARTIFACTS_VAR,
  FAIL_VAR,
  isActive,
  snapshotSchema,
  type ControllerSnapshot,
  type JobRecord,
  type JobStatus,
  type JobTemplate,
  type Label,
  type WorkflowJobRecord,
  type WorkflowTemplate,
} from './awx-model';
import { INVENTORY, JOB_TEMPLATES, ORGANIZATION, WORKFLOW_TEMPLATES } from './awx-seed';
import { readLaunchRequest } from './launch-request';

/** Share of a job's duration spent `pending` before it starts `running`. */
const PENDING_SHARE = 0.2;

/** Label names are at most 512 characters (AWX `Label.name`). */
const LABEL_NAME_MAX = 512;
const newLabelSchema = z.object({ name: z.string().min(1).max(LABEL_NAME_MAX), organization: z.number().int() });
/** A label's identity: its name is unique within its organization. */
const labelKey = (label: Pick<Label, 'name' | 'organization'>) => `${label.organization}/${label.name}`;

/** What the controller is built from. */
export interface ControllerOptions {
  /** How long a job takes from launch to its end, in ms. */
  jobDurationMs: number;
  /** Called after every change, to save the state. */
  onChange: () => void;
  now?: () => number;
}

/** A launched job and the prompts its launch request could not use. */
export interface Launch {
  job: JobRecord;
  ignoredFields: Record<string, unknown>;
}

/** A launched workflow job and the prompts its launch request could not use. */
export interface WorkflowLaunch {
  workflowJob: WorkflowJobRecord;
  ignoredFields: Record<string, unknown>;
}

/**
 * The AWX controller's state: the seeded job templates and workflow job templates, the jobs and
 * workflow jobs launched from them, and labels. A job goes pending → running → successful (or
 * failed, when its extra vars say `sandbox_fail: true`) on timers, over `jobDurationMs`; a
 * restored job resumes where its clock says it is. A workflow job launches its nodes' jobs one
 * after the other and ends with them.
 */
export class AwxController {
  private readonly templates = new Map(JOB_TEMPLATES.map((t) => [t.id, t]));
  private readonly workflowTemplates = new Map(WORKFLOW_TEMPLATES.map((t) => [t.id, t]));
  private readonly jobs = new Map<number, JobRecord>();
  private readonly workflowJobs = new Map<number, WorkflowJobRecord>();
  private readonly labels = new Map<number, Label>();
  /**
   * The ids of labels by organization and name: a first launch creates its idempotency label, so
   * labels grow with every job, and the uniqueness check must not read them all.
   */
  private readonly labelIds = new Map<string, number>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  /** What changed since the store last saved it: only that is written again, however many jobs were run. */
  private readonly unsaved = { jobs: new Set<number>(), workflowJobs: new Set<number>(), labels: new Set<number>() };
  private nextJobId = 1;
  private nextLabelId = 1;
  private nextNodeId = 1;
  private readonly now: () => number;

  constructor(private readonly options: ControllerOptions) {
    this.now = options.now ?? Date.now;
  }

  listTemplates(): JobTemplate[] {
    return [...this.templates.values()];
  }

  template(id: number): JobTemplate {
    const template = this.templates.get(id);
    if (!template) throw new NotFoundError('job_template', String(id));
    return template;
  }

  /**
   * docs/awx-behaviour.md §1.2 launch: prompts checked against the template, extra vars merged over the template's. The
   * job is created `new` and signalled to start at once, so the answer shows it `pending`, as AWX does.
   */
  launch(templateId: number, body: Record<string, unknown>, user: string, traceparent?: string): Launch {
    const template = this.template(templateId);
    const { extraVars, accepted, ignored } = readLaunchRequest(template.ask, body);
    this.checkLabels(accepted.labels);
    const job = this.createJob(template, { ...template.extraVars, ...extraVars }, accepted, user);
    if (traceparent) job.traceparent = traceparent;
    this.options.onChange();
    return { job, ignoredFields: ignored };
  }

  private createJob(
    template: JobTemplate,
    vars: Record<string, unknown>,
    accepted: ReturnType<typeof readLaunchRequest>['accepted'],
    user: string,
    workflowJobId?: number,
  ): JobRecord {
    const failRequested = vars[FAIL_VAR] === true || vars[FAIL_VAR] === 'true';
    const job: JobRecord = {
      id: this.nextJobId++,
      templateId: template.id,
      status: 'pending',
      outcome: failRequested ? 'failed' : 'successful',
      createdMs: this.now(),
      durationMs: this.options.jobDurationMs,
      launchedBy: user,
      limit: accepted.limit ?? '',
      extraVars: vars,
      jobType: accepted.job_type ?? 'run',
      jobTags: accepted.job_tags ?? '',
      skipTags: accepted.skip_tags ?? '',
      verbosity: accepted.verbosity ?? 0,
      diffMode: accepted.diff_mode ?? false,
      scmBranch: accepted.scm_branch ?? '',
      inventory: accepted.inventory ?? INVENTORY.id,
      artifacts: {},
      labels: accepted.labels ?? [],
      workflowJobId,
    };
    this.jobs.set(job.id, job);
    this.unsaved.jobs.add(job.id);
    this.schedule(job);
    return job;
  }

  listWorkflowTemplates(): WorkflowTemplate[] {
    return [...this.workflowTemplates.values()];
  }

  workflowTemplate(id: number): WorkflowTemplate {
    const template = this.workflowTemplates.get(id);
    if (!template) throw new NotFoundError('workflow_job_template', String(id));
    return template;
  }

  /**
   * Workflow launch (`/workflow_job_templates/{id}/launch/`): prompts checked against the
   * workflow template's flags; the workflow job is `pending` a moment, as a job is, then runs its nodes.
   */
  launchWorkflow(templateId: number, body: Record<string, unknown>, user: string): WorkflowLaunch {
    const template = this.workflowTemplate(templateId);
    const { extraVars, accepted, ignored } = readLaunchRequest(template.ask, body);
    this.checkLabels(accepted.labels);
    const workflowJob: WorkflowJobRecord = {
      id: this.nextJobId++,
      workflowTemplateId: template.id,
      status: 'pending',
      createdMs: this.now(),
      launchedBy: user,
      limit: accepted.limit ?? '',
      extraVars: { ...template.extraVars, ...extraVars },
      labels: accepted.labels ?? [],
      jobExplanation: '',
      nodes: template.nodes.map((nodeTemplateId) => ({ id: this.nextNodeId++, templateId: nodeTemplateId })),
    };
    this.workflowJobs.set(workflowJob.id, workflowJob);
    this.unsaved.workflowJobs.add(workflowJob.id);
    this.scheduleWorkflow(workflowJob);
    this.options.onChange();
    return { workflowJob, ignoredFields: ignored };
  }

  listWorkflowJobs(): WorkflowJobRecord[] {
    return [...this.workflowJobs.values()];
  }

  workflowJob(id: number): WorkflowJobRecord {
    const workflowJob = this.workflowJobs.get(id);
    if (!workflowJob) throw new NotFoundError('workflow_job', String(id));
    return workflowJob;
  }

  /** Cancels an active workflow job and the node job it is running; 405 when it has ended. */
  cancelWorkflow(id: number): void {
    const workflowJob = this.workflowJob(id);
    if (!isActive(workflowJob.status))
      throw new ConflictError('awx.not_cancelable', 'Method "POST" not allowed.', { workflow_job: id });
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.unsaved.workflowJobs.add(id);
    workflowJob.canceledMs = this.now();
    workflowJob.status = 'canceled';
    workflowJob.finishedMs = this.now();
    for (const node of workflowJob.nodes) {
      const job = node.jobId === undefined ? undefined : this.jobs.get(node.jobId);
      if (job && isActive(job.status)) this.cancel(job.id);
    }
    this.options.onChange();
  }

  listLabels(): Label[] {
    return [...this.labels.values()];
  }

  /** `POST /labels/`: a name unique within its organization (400 otherwise, as AWX's unique_together). */
  createLabel(body: Record<string, unknown>): Label {
    const parsed = newLabelSchema.safeParse(body);
    if (!parsed.success) {
      throw new ValidationError(
        'label',
        parsed.error.issues.map((i) => ({ path: String(i.path[0] ?? 'detail'), message: i.message })),
      );
    }
    if (parsed.data.organization !== ORGANIZATION.id) {
      throw new ValidationError('label', [
        { path: 'organization', message: `Invalid pk "${parsed.data.organization}" - object does not exist.` },
      ]);
    }
    if (this.labelIds.has(labelKey(parsed.data))) {
      throw new ValidationError('label', [
        { path: '__all__', message: 'Label with this Name and Organization already exists.' },
      ]);
    }
    const label = { id: this.nextLabelId++, ...parsed.data };
    this.keepLabel(label);
    this.unsaved.labels.add(label.id);
    this.options.onChange();
    return label;
  }

  label(id: number): Label {
    const label = this.labels.get(id);
    if (!label) throw new NotFoundError('label', String(id));
    return label;
  }

  private keepLabel(label: Label): void {
    this.labels.set(label.id, label);
    this.labelIds.set(labelKey(label), label.id);
  }

  private checkLabels(ids: number[] | undefined): void {
    const unknown = (ids ?? []).find((id) => !this.labels.has(id));
    if (unknown !== undefined)
      throw new ValidationError('launch request', [
        { path: 'labels', message: `Invalid pk "${unknown}" - object does not exist.` },
      ]);
  }

  /**
   * Moves a workflow job on: starts it, launches the next node when the one before succeeded,
   * ends it `successful` after the last node, or `failed` when a node did not succeed (the
   * sandbox's workflows have no failure paths; the remaining nodes are not run).
   */
  private advance(workflowJob: WorkflowJobRecord): void {
    if (!isActive(workflowJob.status)) return;
    const current = [...workflowJob.nodes].reverse().find((n) => n.jobId !== undefined);
    const currentJob = current?.jobId === undefined ? undefined : this.jobs.get(current.jobId);
    if (currentJob && isActive(currentJob.status)) return;
    // Every way on from here changes the workflow job: it ends, starts, or launches its next node.
    this.unsaved.workflowJobs.add(workflowJob.id);
    if (currentJob && currentJob.status !== 'successful') {
      this.endWorkflow(
        workflowJob,
        'failed',
        `Job ${currentJob.id} of node ${current!.id} ended ${currentJob.status}.`,
      );
      return;
    }
    const next = workflowJob.nodes.find((n) => n.jobId === undefined);
    if (!next) {
      this.endWorkflow(workflowJob, 'successful', '');
      return;
    }
    if (workflowJob.status === 'pending') {
      workflowJob.status = 'running';
      workflowJob.startedMs = this.now();
    }
    const template = this.template(next.templateId);
    // Workflow extra vars reach every node whatever its prompts (docs/awx-behaviour.md §1.2); the limit only nodes that ask for one.
    const accepted = template.ask.ask_limit_on_launch && workflowJob.limit ? { limit: workflowJob.limit } : {};
    next.jobId = this.createJob(
      template,
      { ...template.extraVars, ...workflowJob.extraVars },
      accepted,
      workflowJob.launchedBy,
      workflowJob.id,
    ).id;
  }

  private endWorkflow(workflowJob: WorkflowJobRecord, status: JobStatus, explanation: string): void {
    workflowJob.status = status;
    workflowJob.startedMs ??= this.now();
    workflowJob.finishedMs = this.now();
    workflowJob.jobExplanation = explanation;
  }

  listJobs(): JobRecord[] {
    return [...this.jobs.values()];
  }

  job(id: number): JobRecord {
    const job = this.findJob(id);
    if (!job) throw new NotFoundError('job', String(id));
    return job;
  }

  findJob(id: number): JobRecord | undefined {
    return this.jobs.get(id);
  }

  /** docs/awx-behaviour.md §1.3 cancel: only an active job can be; ConflictError otherwise (405 on the wire). */
  cancel(id: number): void {
    const job = this.job(id);
    if (!isActive(job.status)) throw new ConflictError('awx.not_cancelable', 'Method "POST" not allowed.', { job: id });
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    job.canceledMs = this.now();
    this.end(job, 'canceled');
  }

  /**
   * What the store must write to hold the controller as it is now: the id counters, and the jobs,
   * workflow jobs and labels changed since the last call (each in full). Those are then saved.
   */
  unsavedChanges(): ControllerSnapshot {
    const { jobs, workflowJobs, labels } = this.unsaved;
    const changes = {
      ...this.counters(),
      jobs: [...jobs].flatMap((id) => this.jobs.get(id) ?? []),
      workflowJobs: [...workflowJobs].flatMap((id) => this.workflowJobs.get(id) ?? []),
      labels: [...labels].flatMap((id) => this.labels.get(id) ?? []),
    };
    for (const ids of [jobs, workflowJobs, labels]) ids.clear();
    return changes;
  }

  private counters() {
    return { nextJobId: this.nextJobId, nextLabelId: this.nextLabelId, nextNodeId: this.nextNodeId };
  }

  /** Replaces the jobs, workflow jobs and labels with saved ones, and resumes the active ones. */
  restore(snapshot: unknown): void {
    const saved = snapshotSchema.parse(snapshot);
    this.stop();
    [this.jobs, this.workflowJobs, this.labels, this.labelIds].forEach((map) => map.clear());
    // What was restored is what the store holds; only what changes from here on is written again.
    Object.values(this.unsaved).forEach((ids) => ids.clear());
    this.nextJobId = saved.nextJobId;
    this.nextLabelId = saved.nextLabelId;
    this.nextNodeId = saved.nextNodeId;
    for (const label of saved.labels) this.keepLabel(label);
    for (const workflowJob of saved.workflowJobs) this.workflowJobs.set(workflowJob.id, workflowJob);
    for (const job of saved.jobs) {
      this.jobs.set(job.id, job);
      this.schedule(job);
    }
    // A node may have ended while the sandbox was down.
    for (const workflowJob of this.workflowJobs.values()) this.scheduleWorkflow(workflowJob);
  }

  /** Forgets every job and label; ids continue where they were, so none is handed out twice. */
  reset(): void {
    this.restore({ ...this.counters(), jobs: [], workflowJobs: [], labels: [] });
  }

  /** Stops every job timer (the sandbox is closing); saved jobs resume on the next start. */
  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private scheduleWorkflow(workflowJob: WorkflowJobRecord): void {
    if (workflowJob.status !== 'pending') return this.advance(workflowJob);
    this.at(workflowJob.id, workflowJob.createdMs + this.options.jobDurationMs * PENDING_SHARE, () => {
      this.advance(workflowJob);
      this.options.onChange();
    });
  }

  private schedule(job: JobRecord): void {
    if (job.status === 'pending') {
      this.at(job.id, job.createdMs + job.durationMs * PENDING_SHARE, () => {
        job.status = 'running';
        job.startedMs = this.now();
        this.unsaved.jobs.add(job.id);
        this.options.onChange();
        this.schedule(job);
      });
    } else if (job.status === 'running') {
      this.at(job.id, job.createdMs + job.durationMs, () => {
        const artifacts = job.extraVars[ARTIFACTS_VAR];
        if (typeof artifacts === 'object' && artifacts !== null && !Array.isArray(artifacts))
          job.artifacts = artifacts as Record<string, unknown>;
        this.end(job, job.outcome);
      });
    }
  }

  /** Runs `step` for job (or workflow job) `id` at `whenMs`; ids are unique across both. */
  private at(id: number, whenMs: number, step: () => void): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        step();
      },
      Math.max(0, whenMs - this.now()),
    );
    // Jobs must not keep a process alive that is otherwise done (tests, `close()`).
    timer.unref();
    this.timers.set(id, timer);
  }

  private end(job: JobRecord, status: JobStatus): void {
    this.unsaved.jobs.add(job.id);
    job.status = status;
    job.finishedMs = this.now();
    const workflowJob = job.workflowJobId === undefined ? undefined : this.workflowJobs.get(job.workflowJobId);
    if (workflowJob) this.advance(workflowJob);
    this.options.onChange();
  }
}
