const HOUR_MS = 3_600_000;

/** Calls made in one clock hour. */
export interface HourOfCalls {
  /** ISO 8601, the start of the hour. */
  hour: string;
  calls: number;
}

/** What the overview shows of the ServiceNow API budget. */
export interface CallBudgetView {
  /** The configured `servicenow.requestsPerHour`; null = no limit configured. */
  limitPerHour: number | null;
  /** Calls this instance made in the last `hours` clock hours, oldest first (the current hour last). */
  perHour: HourOfCalls[];
  /** Requests the limiter may still send before its hourly refill (fleet-wide with Redis); null = no limit. */
  remaining: number | null;
}

export interface CallBudget {
  /** One HTTP attempt was sent (each attempt counts against the instance's rate-limit rule). */
  record(): void;
  view(hours: number): Promise<CallBudgetView>;
}

/**
 * Counts the calls Snowline makes to ServiceNow per clock hour (the instance's REST rate-limit
 * rules count per user per hour: https://www.servicenow.com/docs/bundle/australia-api-reference/page/integrate/inbound-rest/concept/inbound-REST-API-rate-limiting.html),
 * keeping a week in memory. The counts are this instance's; `remaining` comes from the limiter,
 * which with Redis is the whole fleet's reservoir.
 */
export function createCallBudget(options: {
  limitPerHour?: number;
  remaining?: () => Promise<number | null>;
  now?: () => number;
}): CallBudget {
  const now = options.now ?? Date.now;
  const counts = new Map<number, number>();
  const keepHours = 168;
  return {
    record() {
      const hour = Math.floor(now() / HOUR_MS);
      counts.set(hour, (counts.get(hour) ?? 0) + 1);
      for (const key of counts.keys()) if (key <= hour - keepHours) counts.delete(key);
    },
    async view(hours) {
      const current = Math.floor(now() / HOUR_MS);
      const perHour = Array.from({ length: Math.min(hours, keepHours) }, (_, i) => {
        const hour = current - Math.min(hours, keepHours) + 1 + i;
        return { hour: new Date(hour * HOUR_MS).toISOString(), calls: counts.get(hour) ?? 0 };
      });
      const limitPerHour = options.limitPerHour ?? null;
      const remaining = limitPerHour === null ? null : ((await options.remaining?.().catch(() => null)) ?? null);
      return { limitPerHour, perHour, remaining };
    },
  };
}

/** What is left of a limiter's hourly reservoir (bottleneck's currentReservoir), or null when it keeps none. */
export async function reservoirLeft(limiter: object): Promise<number | null> {
  const withReservoir = limiter as { currentReservoir?: () => Promise<number | null> };
  return typeof withReservoir.currentReservoir === 'function' ? withReservoir.currentReservoir() : null;
}
