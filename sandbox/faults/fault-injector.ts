import { z } from 'zod';

/**
 * Faults the sandbox injects into one of its APIs, for tests and rehearsals. Every field is
 * optional; counts are consumed request by request, `downForSeconds` is measured from when the
 * plan was set. Order of precedence: down, next statuses, 429 burst, dropped connections, hangs,
 * slow answers, error rate; `latencyMs` delays whatever happens. With `methods` and `pathIncludes`,
 * only matching requests are touched (and consume counts): e.g. only the AWX launch POST fails.
 */
export const faultPlanSchema = z
  .object({
    latencyMs: z.number().int().min(0).max(120_000).optional().describe('added before every answer, in ms'),
    errorRate: z.number().min(0).max(1).optional().describe('share of requests answered errorStatus at random'),
    errorStatus: z
      .number()
      .int()
      .min(500)
      .max(599)
      .default(503)
      .describe('status used by errorRate and downForSeconds'),
    failNext: z.number().int().min(0).optional().describe('the next N requests are answered failStatus'),
    failStatus: z.number().int().min(400).max(599).default(500),
    rateLimitBurst: z.number().int().min(0).optional().describe('the next N requests are answered 429'),
    rateLimitHeaders: z
      .boolean()
      .default(true)
      .describe('429s carry X-RateLimit-* and Retry-After (a rate-limit rule); false = queue full, no headers'),
    retryAfterSeconds: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe('reset of the injected 429 window, in seconds from now'),
    dropNext: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('the next N requests have their connection destroyed unanswered'),
    dropRate: z.number().min(0).max(1).optional().describe('share of connections destroyed at random'),
    hangNext: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('the next N requests get no answer for hangMs, then a dropped connection (client timeouts)'),
    hangMs: z.number().int().min(0).max(600_000).default(30_000),
    slowNext: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe(
        'the next N requests are carried out, but their answer is held for slowMs (a client timeout after the work was done: the caller cannot tell)',
      ),
    slowMs: z.number().int().min(0).max(600_000).default(30_000),
    downForSeconds: z
      .number()
      .min(0)
      .optional()
      .describe('the backend answers errorStatus to everything for this long'),
    methods: z
      .array(z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']))
      .min(1)
      .optional()
      .describe('only requests with these methods are faulted; default all'),
    pathIncludes: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('only requests whose path contains this text are faulted, e.g. "/launch/"; default all'),
  })
  .strict();
export type FaultPlan = z.infer<typeof faultPlanSchema>;
export type FaultPlanInput = z.input<typeof faultPlanSchema>;

export const FAULT_TARGETS = ['servicenow', 'awx'] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];

/** What to do with one request. */
export type FaultAction =
  | { kind: 'pass' }
  | {
      kind: 'status';
      status: number;
      rateLimit?: { resetAtSeconds: number; retryAfterSeconds: number; headers: boolean };
    }
  | { kind: 'drop' }
  | { kind: 'hang'; ms: number }
  | { kind: 'slow'; ms: number };

interface ActivePlan {
  plan: FaultPlan;
  setAtMs: number;
  /** Remaining counts, consumed per request. */
  failNext: number;
  rateLimitBurst: number;
  dropNext: number;
  hangNext: number;
  slowNext: number;
}

/** Holds the fault plan of each target and decides, request by request, what goes wrong. */
export class FaultInjector {
  private readonly plans = new Map<FaultTarget, ActivePlan>();
  /** Requests each target received while a plan was set, and what they got (for assertions). */
  private readonly injected = new Map<FaultTarget, Record<string, number>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  set(target: FaultTarget, input: FaultPlanInput): FaultPlan {
    const plan = faultPlanSchema.parse(input);
    this.plans.set(target, {
      plan,
      setAtMs: this.now(),
      failNext: plan.failNext ?? 0,
      rateLimitBurst: plan.rateLimitBurst ?? 0,
      dropNext: plan.dropNext ?? 0,
      hangNext: plan.hangNext ?? 0,
      slowNext: plan.slowNext ?? 0,
    });
    this.injected.set(target, {});
    return plan;
  }

  clear(target?: FaultTarget): void {
    for (const t of target ? [target] : FAULT_TARGETS) {
      this.plans.delete(t);
      this.injected.delete(t);
    }
  }

  /** The plans with what is left of their counts, and how many faults each target has served. */
  describe(): Record<string, unknown> {
    return Object.fromEntries(
      FAULT_TARGETS.map((t) => {
        const active = this.plans.get(t);
        if (!active) return [t, null];
        const { plan, failNext, rateLimitBurst, dropNext, hangNext, slowNext } = active;
        return [
          t,
          {
            plan,
            remaining: { failNext, rateLimitBurst, dropNext, hangNext, slowNext },
            downUntil: this.downUntil(active),
            injected: this.injected.get(t) ?? {},
          },
        ];
      }),
    );
  }

  latencyMs(target: FaultTarget, method: string, path = ''): number {
    const active = this.applicable(target, method, path);
    return active?.plan.latencyMs ?? 0;
  }

  decide(target: FaultTarget, method: string, path = ''): FaultAction {
    const active = this.applicable(target, method, path);
    if (!active) return { kind: 'pass' };
    const action = this.choose(active);
    const seen = this.injected.get(target) ?? {};
    const label = action.kind === 'status' ? String(action.status) : action.kind;
    seen[label] = (seen[label] ?? 0) + 1;
    this.injected.set(target, seen);
    return action;
  }

  private choose(active: ActivePlan): FaultAction {
    const { plan } = active;
    const nowMs = this.now();
    const downUntil = this.downUntil(active);
    if (downUntil !== undefined && nowMs < downUntil) return { kind: 'status', status: plan.errorStatus };
    if (active.failNext > 0) {
      active.failNext--;
      return { kind: 'status', status: plan.failStatus };
    }
    if (active.rateLimitBurst > 0) {
      active.rateLimitBurst--;
      const resetAtSeconds = Math.ceil(nowMs / 1000) + plan.retryAfterSeconds;
      return {
        kind: 'status',
        status: 429,
        rateLimit: { resetAtSeconds, retryAfterSeconds: plan.retryAfterSeconds, headers: plan.rateLimitHeaders },
      };
    }
    if (active.dropNext > 0) {
      active.dropNext--;
      return { kind: 'drop' };
    }
    if (active.hangNext > 0) {
      active.hangNext--;
      return { kind: 'hang', ms: plan.hangMs };
    }
    if (active.slowNext > 0) {
      active.slowNext--;
      return { kind: 'slow', ms: plan.slowMs };
    }
    if (plan.dropRate && this.random() < plan.dropRate) return { kind: 'drop' };
    if (plan.errorRate && this.random() < plan.errorRate) return { kind: 'status', status: plan.errorStatus };
    return { kind: 'pass' };
  }

  /** The target's plan, when it has one that covers this request's method and path. */
  private applicable(target: FaultTarget, method: string, path: string): ActivePlan | undefined {
    const active = this.plans.get(target);
    if (!active) return undefined;
    const { methods, pathIncludes } = active.plan;
    if (methods !== undefined && !(methods as string[]).includes(method.toUpperCase())) return undefined;
    return pathIncludes === undefined || path.includes(pathIncludes) ? active : undefined;
  }

  private downUntil(active: ActivePlan): number | undefined {
    return active.plan.downForSeconds === undefined ? undefined : active.setAtMs + active.plan.downForSeconds * 1000;
  }
}
