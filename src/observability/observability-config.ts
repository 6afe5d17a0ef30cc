import { z } from 'zod';

/**
 * The `observability` section of the configuration: SLOs, the alerts Snowline raises in ServiceNow,
 * the Alertmanager receiver and OpenTelemetry tracing (docs/observability.md). Everything has a
 * default, so a site without the section gets SLOs and alerts on the workbook's windows, and no tracing.
 */

const objectiveSchema = z
  .number()
  .gt(0)
  .lt(1)
  .describe('share of good runs the SLO promises, e.g. 0.99; the error budget is 1 − objective');

const sloSchema = z
  .object({
    periodDays: z.number().int().min(1).max(90).optional().describe('the SLO period, in days (default 30)'),
    success: objectiveSchema
      .optional()
      .describe('share of finished runs that succeed (refused and cancelled not counted)'),
    duration: z
      .object({
        objective: objectiveSchema.describe(
          'share of succeeded runs faster than thresholdSeconds, e.g. 0.95 for a p95',
        ),
        thresholdSeconds: z.number().positive().describe('the promised duration, in seconds'),
      })
      .strict()
      .optional()
      .describe('"p95 of runs under thresholdSeconds" as an objective on the share of fast runs'),
  })
  .strict();
export type SloSettings = z.infer<typeof sloSchema>;

/**
 * One alerting window pair of the multi-window, multi-burn-rate method
 * (https://sre.google/workbook/alerting-on-slos/#6-multiwindow-multi-burn-rate-alerts): it fires when
 * both windows burn faster than the rate that spends `budgetConsumed` of the period's budget in the long window.
 */
const burnWindowSchema = z
  .object({
    longMinutes: z.number().int().positive(),
    shortMinutes: z.number().int().positive(),
    budgetConsumed: z.number().gt(0).max(1).describe('share of the error budget the long window may spend'),
    severity: z.enum(['page', 'ticket']),
  })
  .strict()
  .refine((w) => w.shortMinutes < w.longMinutes, { message: 'shortMinutes must be below longMinutes' });
export type BurnWindow = z.infer<typeof burnWindowSchema>;

/** The workbook's recommendation for a 30-day SLO: 2 % in 1 h and 5 % in 6 h page; 10 % in 3 d opens a ticket. */
const WORKBOOK_WINDOWS: BurnWindow[] = [
  { longMinutes: 60, shortMinutes: 5, budgetConsumed: 0.02, severity: 'page' },
  { longMinutes: 360, shortMinutes: 30, budgetConsumed: 0.05, severity: 'page' },
  { longMinutes: 4320, shortMinutes: 360, budgetConsumed: 0.1, severity: 'ticket' },
];

const slosSchema = z
  .object({
    default: sloSchema.default({ success: 0.99 }).describe('SLO of every rule without its own'),
    rules: z
      .record(z.string(), sloSchema)
      .default({})
      .describe('rule id → its SLO (fields not given come from default)'),
    windows: z.array(burnWindowSchema).min(1).default(WORKBOOK_WINDOWS),
    minRuns: z
      .number()
      .int()
      .min(1)
      .default(5)
      .describe('runs a long window must hold before it may burn: one failure of one run is no trend'),
  })
  .strict();

const alertsSchema = z
  .object({
    enabled: z.boolean().default(true).describe('raise alerts in ServiceNow (evaluated on the leader)'),
    evaluateSeconds: z.number().int().min(1).default(60).describe('how often the conditions are evaluated, in seconds'),
    target: z
      .enum(['incident', 'em_event'])
      .default('incident')
      .describe('incident, or an Event Management event (em_event; events sharing a message_key make one alert)'),
    assignmentGroup: z.string().optional().describe('sys_id of the group alert incidents are assigned to'),
    updateEverySeconds: z
      .number()
      .int()
      .min(0)
      .default(3600)
      .describe(
        'while a condition lasts, its record is updated at most this often (and only when its figures changed), in seconds',
      ),
    anomaly: z
      .object({
        minSamples: z
          .number()
          .int()
          .min(3)
          .default(20)
          .describe('past executions of a step before its duration is judged'),
        historySize: z.number().int().min(3).default(200).describe('latest executions that make the history'),
        lookbackDays: z.number().int().min(1).default(14),
        threshold: z
          .number()
          .positive()
          .default(3.5)
          .describe('modified z-score (0.6745·(x − median)/MAD) above which a duration is anomalous'),
        minRatio: z.number().min(1).default(1.5).describe('and at least this many times the median'),
        consecutive: z.number().int().min(1).default(2).describe('latest executions that must all be anomalous'),
      })
      .strict()
      .default({ minSamples: 20, historySize: 200, lookbackDays: 14, threshold: 3.5, minRatio: 1.5, consecutive: 2 }),
    repeatedFailures: z
      .object({
        count: z
          .number()
          .int()
          .min(2)
          .default(3)
          .describe('latest runs of a rule on one CI (or one branch) that all failed'),
        windowMinutes: z.number().int().min(1).default(60),
      })
      .strict()
      .default({ count: 3, windowMinutes: 60 }),
    webhookSilence: z
      .object({
        windowMinutes: z.number().int().min(1).default(15),
        minPolledChanges: z
          .number()
          .int()
          .min(1)
          .default(3)
          .describe('changes only the poller found in the window, with no webhook at all, that raise the alert'),
      })
      .strict()
      .default({ windowMinutes: 15, minPolledChanges: 3 }),
  })
  .strict();
export type AlertSettings = z.infer<typeof alertsSchema>;

const alertmanagerSchema = z
  .object({
    bearerToken: z.string().min(1).optional().describe('token Alertmanager sends (http_config.authorization)'),
    username: z.string().min(1).optional().describe('basic-auth user (http_config.basic_auth)'),
    password: z.string().min(1).optional().describe('its password'),
    table: z.enum(['incident']).default('incident'),
  })
  .strict()
  .refine((a) => (a.username === undefined) === (a.password === undefined), {
    message: 'username and password go together',
  });
export type AlertmanagerSettings = z.infer<typeof alertmanagerSchema>;

const tracingSchema = z
  .object({
    enabled: z.boolean().default(false).describe('record OpenTelemetry spans (env SNOWLINE_TRACING)'),
    otlpUrl: z
      .string()
      .url()
      .optional()
      .describe(
        'OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces (env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)',
      ),
    serviceName: z.string().min(1).default('snowline'),
  })
  .strict();
export type TracingSettings = z.infer<typeof tracingSchema>;

export const observabilitySchema = z
  .object({
    slo: slosSchema.default({ default: { success: 0.99 }, rules: {}, windows: WORKBOOK_WINDOWS, minRuns: 5 }),
    alerts: alertsSchema.default(alertsSchema.parse({})),
    alertmanager: alertmanagerSchema.optional().describe('the receiver at POST /webhooks/alertmanager; unset = off'),
    tracing: tracingSchema.default({ enabled: false, serviceName: 'snowline' }),
  })
  .strict();
export type ObservabilitySettings = z.infer<typeof observabilitySchema>;
