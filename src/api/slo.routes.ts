import { z } from 'zod';
import type { AlertRow } from '../store/schema';
import type { SloStatus } from '../slo/burn-rate';
import type { RouteDefinition } from './route';

const windowSchema = z.object({
  longMinutes: z.number(),
  shortMinutes: z.number(),
  budgetConsumed: z.number(),
  severity: z.enum(['page', 'ticket']),
  threshold: z.number().describe('burn rate both windows must reach'),
  longBurnRate: z.number(),
  shortBurnRate: z.number(),
  longEvents: z.number(),
  firing: z.boolean(),
});

export const sloReportSchema = z.object({
  evaluatedAt: z.string(),
  slos: z.array(
    z.object({
      id: z.string(),
      rule: z.string().describe('`*` = all rules together'),
      indicator: z.enum(['success', 'duration']),
      objective: z.number(),
      periodDays: z.number(),
      thresholdSeconds: z.number().optional(),
      events: z.number(),
      bad: z.number(),
      sli: z.number().nullable(),
      errorBudgetRemaining: z.number().nullable(),
      windows: z.array(windowSchema),
      burning: z.enum(['page', 'ticket']).nullable(),
    }),
  ),
  alerts: z
    .array(
      z.object({
        key: z.string(),
        kind: z.string(),
        target: z.string(),
        sysId: z.string(),
        summary: z.string(),
        openedAt: z.string(),
        updates: z.number(),
      }),
    )
    .describe('alerts open in ServiceNow now'),
});

export interface SloRoutesDeps {
  slos(): Promise<SloStatus[]>;
  openAlerts(): Promise<AlertRow[]>;
  now?: () => number;
}

/** `GET /slo`: every SLO from the run history in the store, its burn rates, and the alerts open now. */
export function sloRoutes(deps: SloRoutesDeps): RouteDefinition[] {
  const now = deps.now ?? Date.now;
  return [
    {
      method: 'get',
      path: '/slo',
      permission: 'runs:read',
      summary: 'SLOs per rule and overall: SLI and error budget over the period, burn rates per window, open alerts',
      response: sloReportSchema,
      handle: async () => ({
        evaluatedAt: new Date(now()).toISOString(),
        slos: await deps.slos(),
        alerts: (await deps.openAlerts()).map((a) => ({
          key: a.alert_key,
          kind: a.kind,
          target: a.target,
          sysId: a.sys_id,
          summary: a.summary,
          openedAt: new Date(Number(a.opened_at)).toISOString(),
          updates: Number(a.updates),
        })),
      }),
    },
  ];
}
