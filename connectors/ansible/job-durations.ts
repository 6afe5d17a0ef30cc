import type { Job } from './schemas';

/** Durations kept per template: enough for a middle value that one odd job does not move. */
const KEPT_PER_TEMPLATE = 5;
/** Templates remembered; the one heard of least recently is forgotten first. */
const TEMPLATES_REMEMBERED = 1000;

/**
 * How long each job template's recent jobs took from creation to end, by the controller's own
 * clock (so a skewed clock of Snowline's does not enter). It lets a template whose jobs usually end
 * within one poll interval be looked at when they usually end, not a whole interval later.
 * Kept in memory: after a restart the first jobs are looked at on the plain schedule again.
 */
export class JobDurations {
  private readonly byTemplate = new Map<number, number[]>();

  /** Remembers how long a job that ended took, when the controller gave both its times. */
  ended(job: Pick<Job, 'job_template' | 'created' | 'finished'>): void {
    const template = job.job_template;
    const took = Date.parse(job.finished ?? '') - Date.parse(job.created ?? '');
    if (typeof template !== 'number' || !Number.isFinite(took) || took < 0) return;
    const recent = this.byTemplate.get(template) ?? [];
    this.byTemplate.delete(template);
    this.byTemplate.set(template, [...recent, took].slice(-KEPT_PER_TEMPLATE));
    if (this.byTemplate.size > TEMPLATES_REMEMBERED) this.byTemplate.delete(this.byTemplate.keys().next().value!);
  }

  /** The middle of the template's recent durations, in ms; undefined until one of its jobs ended. */
  typicalMs(template: number | null | undefined): number | undefined {
    const recent = typeof template === 'number' ? this.byTemplate.get(template) : undefined;
    if (!recent) return undefined;
    const sorted = [...recent].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }
}
