import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * One REST rate-limit rule (`sys_rate_limit_rules`, https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.html): a request budget
 * per window for one resource, for one user or for everyone. `windowSeconds` is a sandbox
 * extension (real rules count per hour) so tests can see a window reset in seconds.
 */
export const rateLimitRuleSchema = z
  .object({
    name: z.string().min(1).describe('shown in the 429 detail, e.g. "Table API"'),
    /** Request path prefix under the instance, e.g. `/api/now/table/incident`; default every `/api/now` path. */
    pathPrefix: z.string().regex(/^\//).default('/api/now'),
    methods: z
      .array(z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']))
      .optional()
      .describe('default every method'),
    user: z.string().min(1).optional().describe('default all users'),
    limit: z.number().int().positive().describe('requests per window (per hour on a real instance)'),
    windowSeconds: z.number().int().positive().default(3600),
  })
  .strict();
export type RateLimitRule = z.infer<typeof rateLimitRuleSchema>;
export type RateLimitRuleInput = z.input<typeof rateLimitRuleSchema>;
export const rateLimitRulesSchema = z.array(rateLimitRuleSchema);

/** What the rule engine decided for one request: headers to add, and whether it is refused. */
export interface RateLimitVerdict {
  headers: Record<string, string>;
  refused?: { retryAfterSeconds: number; detail: string };
}

/**
 * Counts requests against the rules in fixed windows aligned to the clock (a real instance resets
 * at the top of the hour). Precedence as on the instance: a rule for the user beats a rule for
 * everyone; among rules of the same kind the lowest limit wins.
 */
export class RateLimitRules {
  private rules: RateLimitRule[] = [];
  private readonly counts = new Map<string, { windowStart: number; count: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  replace(rules: RateLimitRule[]): void {
    this.rules = rules;
    this.counts.clear();
  }

  list(): RateLimitRule[] {
    return this.rules;
  }

  check(method: string, path: string, user: string): RateLimitVerdict {
    const rule = this.ruleFor(method, path, user);
    if (!rule) return { headers: {} };
    const windowMs = rule.windowSeconds * 1000;
    const nowMs = this.now();
    const windowStart = Math.floor(nowMs / windowMs) * windowMs;
    const resetSeconds = Math.ceil((windowStart + windowMs) / 1000);
    const key = `${ruleId(rule)}:${user}`;
    const held = this.counts.get(key);
    const counter = held && held.windowStart === windowStart ? held : { windowStart, count: 0 };
    this.counts.set(key, counter);
    const headers = {
      'X-RateLimit-Limit': String(rule.limit),
      'X-RateLimit-Reset': String(resetSeconds),
      'X-RateLimit-Rule': ruleId(rule),
    };
    if (counter.count >= rule.limit) {
      const per = rule.windowSeconds === 3600 ? 'hour' : `${rule.windowSeconds} seconds`;
      return {
        headers,
        refused: {
          retryAfterSeconds: Math.max(1, resetSeconds - Math.floor(nowMs / 1000)),
          detail: `Rate limit of ${rule.limit} requests per ${per} for ${rule.name} exceeded`,
        },
      };
    }
    counter.count++;
    return { headers };
  }

  private ruleFor(method: string, path: string, user: string): RateLimitRule | undefined {
    const applicable = this.rules.filter(
      (r) =>
        path.startsWith(r.pathPrefix) &&
        (!r.methods || r.methods.includes(method as never)) &&
        (!r.user || r.user === user),
    );
    const personal = applicable.filter((r) => r.user);
    const pool = personal.length > 0 ? personal : applicable;
    return pool.sort((a, b) => a.limit - b.limit)[0];
  }
}

/** A stable 32-hex sys_id per rule, as `X-RateLimit-Rule` carries. */
function ruleId(rule: RateLimitRule): string {
  return createHash('md5').update(JSON.stringify(rule)).digest('hex');
}
