import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../errors';
import { ARTIFACTS_VAR, FAIL_VAR, isActive, jobRecordSchema, type JobRecord, type JobStatus, type JobTemplate } from './awx-model';
import { INVENTORY, JOB_TEMPLATES } from './awx-seed';
import { readLaunchRequest } from './launch-request';

/** Share of a job's duration spent `pending` before it starts `running`. */
const PENDING_SHARE = 0.2;

const snapshotSchema = z.object({ nextJobId: z.number().int().positive(), jobs: z.array(jobRecordSchema) });

/** The controller's jobs as saved in the sandbox state file. */
export type ControllerSnapshot = z.infer<typeof snapshotSchema>;

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

/**
 * The AWX controller's state: the seeded job templates and the jobs launched from them. A job goes
 * pending → running → successful (or failed, when its extra vars say `sandbox_fail: true`) on
 * timers, over `jobDurationMs`; a restored job resumes where its clock says it is.
 */
export class AwxController {
  private readonly templates = new Map(JOB_TEMPLATES.map((t) => [t.id, t]));
  private readonly jobs = new Map<number, JobRecord>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextJobId = 1;
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
   * §1.2 launch: prompts checked against the template, extra vars merged over the template's. The
   * job is created `new` and signalled to start at once, so the answer shows it `pending`, as AWX does.
   */
  launch(templateId: number, body: Record<string, unknown>, user: string): Launch {
    const template = this.template(templateId);
    const { extraVars, accepted, ignored } = readLaunchRequest(template, body);
    const vars = { ...template.extraVars, ...extraVars };
    const failRequested = vars[FAIL_VAR] === true || vars[FAIL_VAR] === 'true';
    const job: JobRecord = {
      id: this.nextJobId++,
      templateId,
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
    };
    this.jobs.set(job.id, job);
    this.schedule(job);
    this.options.onChange();
    return { job, ignoredFields: ignored };
  }

  listJobs(): JobRecord[] {
    return [...this.jobs.values()];
  }

  job(id: number): JobRecord {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError('job', String(id));
    return job;
  }

  /** §1.3 cancel: only an active job can be; ConflictError otherwise (405 on the wire). */
  cancel(id: number): void {
    const job = this.job(id);
    if (!isActive(job.status)) throw new ConflictError('awx.not_cancelable', 'Method "POST" not allowed.', { job: id });
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    job.canceledMs = this.now();
    this.end(job, 'canceled');
  }

  snapshot(): ControllerSnapshot {
    return { nextJobId: this.nextJobId, jobs: this.listJobs() };
  }

  /** Loads saved jobs and resumes the active ones. */
  restore(snapshot: unknown): void {
    const saved = snapshotSchema.parse(snapshot);
    this.nextJobId = saved.nextJobId;
    for (const job of saved.jobs) {
      this.jobs.set(job.id, job);
      this.schedule(job);
    }
  }

  /** Stops every job timer (the sandbox is closing); saved jobs resume on the next start. */
  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(job: JobRecord): void {
    if (job.status === 'pending') {
      this.at(job, job.createdMs + job.durationMs * PENDING_SHARE, () => {
        job.status = 'running';
        job.startedMs = this.now();
        this.options.onChange();
        this.schedule(job);
      });
    } else if (job.status === 'running') {
      this.at(job, job.createdMs + job.durationMs, () => {
        const artifacts = job.extraVars[ARTIFACTS_VAR];
        if (typeof artifacts === 'object' && artifacts !== null && !Array.isArray(artifacts)) job.artifacts = artifacts as Record<string, unknown>;
        this.end(job, job.outcome);
      });
    }
  }

  private at(job: JobRecord, whenMs: number, step: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(job.id);
      step();
    }, Math.max(0, whenMs - this.now()));
    // Jobs must not keep a process alive that is otherwise done (tests, `close()`).
    timer.unref();
    this.timers.set(job.id, timer);
  }

  private end(job: JobRecord, status: JobStatus): void {
    job.status = status;
    job.finishedMs = this.now();
    this.options.onChange();
  }
}
