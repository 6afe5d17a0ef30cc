import { z } from 'zod';
import type { CallBudget } from '../observability/call-budget';
import type { RouteDefinition } from './route';

const budgetQuery = z.object({
  hours: z.coerce.number().int().min(1).max(168).default(24).describe('clock hours to show, the current one last'),
});

const budgetSchema = z.object({
  limitPerHour: z.number().nullable().describe('servicenow.requestsPerHour; null = no limit configured'),
  perHour: z.array(z.object({ hour: z.string().describe('start of the hour, ISO 8601'), calls: z.number() })),
  remaining: z
    .number()
    .nullable()
    .describe('requests the limiter may still send before its hourly refill (fleet-wide with Redis); null = no limit'),
});

/** The ServiceNow API budget: calls this instance made per hour against the configured hourly limit. */
export function serviceNowBudgetRoutes(budget: CallBudget): RouteDefinition[] {
  return [
    {
      method: 'get',
      path: '/servicenow/budget',
      permission: 'runs:read',
      summary:
        'ServiceNow API calls per hour (this instance) against the configured hourly limit of the integration user',
      query: budgetQuery,
      response: budgetSchema,
      handle: async (_req, { query }) => budget.view(query.hours as number),
    },
  ];
}
