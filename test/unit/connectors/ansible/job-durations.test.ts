import { JobDurations } from '../../../../connectors/ansible/job-durations';

const job = (template: number | null, createdMs: number, tookMs: number) => ({
  job_template: template,
  created: new Date(createdMs).toISOString(),
  finished: new Date(createdMs + tookMs).toISOString(),
});

describe('JobDurations', () => {
  it('knows nothing of a template until one of its jobs ended', () => {
    const durations = new JobDurations();
    expect(durations.typicalMs(7)).toBeUndefined();
    durations.ended(job(7, 1_000, 300));
    expect(durations.typicalMs(7)).toBe(300);
    expect(durations.typicalMs(8)).toBeUndefined();
  });

  it('takes the middle of the last five jobs, so one odd job does not move it', () => {
    const durations = new JobDurations();
    for (const took of [200, 210, 190, 60_000, 205]) durations.ended(job(7, 0, took));
    expect(durations.typicalMs(7)).toBe(205);
    // The oldest are forgotten: five slow jobs later, the template is slow.
    for (let i = 0; i < 5; i++) durations.ended(job(7, 0, 30_000));
    expect(durations.typicalMs(7)).toBe(30_000);
  });

  it('ignores a job without a template or without both times, and one that ended before it was created', () => {
    const durations = new JobDurations();
    durations.ended(job(null, 0, 100));
    durations.ended({ job_template: 7, created: '2025-03-04T10:12:00.000000Z', finished: null });
    durations.ended(job(7, 5_000, -1_000));
    expect(durations.typicalMs(7)).toBeUndefined();
    expect(durations.typicalMs(null)).toBeUndefined();
  });
});
