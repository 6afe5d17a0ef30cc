import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../observability/logger';
import type { Leadership } from './leadership';

export interface ScheduledJob {
  name: string;
  /** node-cron expression, six fields (seconds first) or five. */
  cron: string;
  run(): Promise<unknown>;
}

/** Runs jobs on their schedules, only while this instance leads; a run never overlaps the previous one. */
export function scheduleLeaderJobs(
  jobs: ScheduledJob[],
  leadership: Leadership,
  logger: Logger,
): { stop(): Promise<void> } {
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.cron,
      async () => {
        if (!leadership.isLeader()) return;
        await job
          .run()
          .catch((err: Error) =>
            logger.warn('scheduled job failed; the next run catches up', { job: job.name, error: err.message }),
          );
      },
      { name: job.name, noOverlap: true },
    ),
  );
  return { stop: async () => void (await Promise.all(tasks.map((t) => t.stop()))) };
}

/** node-cron takes seconds from 1 to 59 in its seconds field; longer intervals run every whole minute count. */
export function everySeconds(seconds: number): string {
  return seconds < 60 ? `*/${seconds} * * * * *` : `0 */${Math.max(1, Math.round(seconds / 60))} * * * *`;
}
