import cron from 'node-cron';
import { z } from 'zod';

const days = (what: string) =>
  z.number().int().positive().optional().describe(`${what} older than this many days are pruned; unset = kept forever`);

/**
 * Where pruned runs and audit entries go before they are deleted: gzip-compressed JSON Lines files
 * in a folder. (An S3-compatible bucket is the next target; the archive writer takes any target.)
 */
export const archiveConfigSchema = z
  .object({
    dir: z.string().min(1).default('data/archive').describe('folder of the archive files (created when missing)'),
  })
  .strict();

/** How long each kind of record is kept (docs/reports.md, "Retention"). */
export const retentionConfigSchema = z
  .object({
    schedule: z
      .string()
      .min(1)
      .refine((expression) => cron.validate(expression), 'expected a node-cron expression, e.g. "0 17 3 * * *"')
      .default('0 17 3 * * *')
      .describe('node-cron expression of the leader-only retention job; unset days mean nothing is pruned'),
    batchSize: z
      .number()
      .int()
      .positive()
      .max(10_000)
      .default(500)
      .describe('records archived and deleted per transaction'),
    eventsDays: days('processed inbox events (done, dropped, superseded, rejected)'),
    runsDays: days('finished runs (archived first, with their steps, write-backs and approvals)'),
    stepOutputsDays: days("finished steps' results"),
    controllerOutputDays: days("job output (stdout) in finished steps' results and in delivered attachments"),
    auditDays: days(
      'audit journal entries (archived first; a checkpoint at the cut keeps `audit verify` proving the rest)',
    ),
    archive: archiveConfigSchema.prefault({}),
  })
  .strict();
export type RetentionConfig = z.infer<typeof retentionConfigSchema>;
