import { z } from 'zod';

/** A declared service level for one downstream endpoint (`connector:action`). */
export const endpointSlaSchema = z
  .object({
    p95Ms: z.number().positive().optional().describe('95th percentile of step duration, in ms'),
    availability: z.number().min(0).max(1).optional().describe('share of steps that succeed (0–1)'),
    errorRate: z.number().min(0).max(1).optional().describe('highest share of failed calls, retries included (0–1)'),
  })
  .strict();

/** Settings of the continuous-improvement reports (docs/reports.md). */
export const reportsConfigSchema = z
  .object({
    manualMinutes: z
      .record(z.string().min(1), z.number().nonnegative())
      .default({})
      .describe('per rule id: minutes a person would spend on what one successful run does (value report)'),
    defaultManualMinutes: z
      .number()
      .nonnegative()
      .default(0)
      .describe('minutes for a rule not listed in manualMinutes'),
    slas: z
      .record(z.string().regex(/^[^:]+:[^:]+$/, 'expected connector:action'), endpointSlaSchema)
      .default({})
      .describe('declared SLA per downstream endpoint, keyed `connector:action` (downstream SLA report)'),
    deprecated: z
      .array(z.string().min(1))
      .default([])
      .describe('`connector:action` names, or URL fragments such as `/api/v1/`, that rules should no longer use'),
  })
  .strict();
export type ReportsConfig = z.infer<typeof reportsConfigSchema>;
