import cron from 'node-cron';
import { z } from 'zod';

/**
 * `{ schedule: { cron, query } }` in a rule's `on:` list: on every tick of `cron` (on the leader
 * only), the records of the file's table that match `query` — an encoded query sent to the Table
 * API, e.g. `state=3^sys_updated_on<javascript:gs.daysAgoStart(7)` for incidents On Hold for a
 * week — each become one event for this rule, handled once per tick.
 */
export const scheduleTriggerSchema = z
  .object({
    schedule: z
      .object({
        cron: z
          .string()
          .min(1)
          .max(120)
          .superRefine((expression, ctx) => {
            const problems = cronProblems(expression);
            if (problems) ctx.addIssue({ code: 'custom', message: problems });
          })
          .describe('when it runs: five fields (minute first) or six (seconds first), in the server time zone (TZ)'),
        query: z
          .string()
          .min(1)
          .max(4000)
          .describe('encoded query the Table API answers with the records to act on; the rule condition applies too'),
        max_records: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(1000)
          .describe(
            'records taken per tick at most (the rest wait for the next tick), so one query cannot flood the engine',
          ),
      })
      .strict(),
  })
  .strict();
export type ScheduleTrigger = z.infer<typeof scheduleTriggerSchema>['schedule'];

/** What is wrong with a cron expression, field by field, or undefined when node-cron accepts it. */
export function cronProblems(expression: string): string | undefined {
  const { valid, errors } = cron.validateDetailed(expression);
  if (valid) return undefined;
  const detail = errors.map((e) => (e.field === 'expression' ? e.message : `${e.field}: ${e.message}`)).join('; ');
  return `not a cron expression (${detail || 'unreadable'}); five fields "minute hour day month weekday", or six with seconds first, e.g. "0 * * * *"`;
}

/** The schedules among a rule's triggers. */
export function schedulesOf(on: readonly unknown[]): ScheduleTrigger[] {
  return on.flatMap((trigger) =>
    trigger && typeof trigger === 'object' && 'schedule' in trigger
      ? [(trigger as { schedule: ScheduleTrigger }).schedule]
      : [],
  );
}
