import type { RequestHandler } from 'express';
import type { QueuedRequests } from './queued-requests';
import { z } from 'zod';

/** The APIs whose answer time can be set apart. */
export const LATENCY_APIS = ['table', 'attachment', 'batch', 'import', 'cmdb', 'tinyurl', 'oauth', 'awx'] as const;
export type LatencyApi = (typeof LATENCY_APIS)[number];

const delaySchema = z
  .object({
    ms: z.number().int().min(0).max(120_000),
    jitterMs: z.number().int().min(0).max(60_000).default(0),
  })
  .strict();

/** Per API, `{ms, jitterMs}`: each answer waits `ms` ± a uniform `jitterMs`. */
export const latencyProfileSchema = z.partialRecord(z.enum(LATENCY_APIS), delaySchema);
export type LatencyProfileInput = z.input<typeof latencyProfileSchema>;
type Delays = z.infer<typeof latencyProfileSchema>;

/**
 * Answer times of a real instance seen from a client on the same continent [inf: typical Table API
 * reads take 100–300 ms, attachment uploads and batches longer]. Rehearsals switch it on with
 * `SNOWLINE_SANDBOX_LATENCY=realistic`.
 */
export const REALISTIC_LATENCY: Required<Delays> = {
  table: { ms: 180, jitterMs: 90 },
  attachment: { ms: 400, jitterMs: 200 },
  batch: { ms: 250, jitterMs: 120 },
  import: { ms: 300, jitterMs: 150 },
  cmdb: { ms: 250, jitterMs: 120 },
  tinyurl: { ms: 120, jitterMs: 60 },
  oauth: { ms: 200, jitterMs: 80 },
  awx: { ms: 150, jitterMs: 75 },
};

/** Which API a path belongs to. */
const ROUTES: [RegExp, LatencyApi][] = [
  [/^\/api\/now\/(v\d\/)?table\//, 'table'],
  [/^\/api\/now\/(v\d\/)?attachment(\/|$)/, 'attachment'],
  [/^\/api\/now\/(v\d\/)?batch(\/|$)/, 'batch'],
  [/^\/api\/now\/(v\d\/)?import\//, 'import'],
  [/^\/api\/now\/(v\d\/)?(cmdb|identifyreconcile)(\/|$)/, 'cmdb'],
  [/^\/api\/now\/(v\d\/)?tinyurl(\/|$)/, 'tinyurl'],
  [/^\/oauth_token\.do$/, 'oauth'],
  [/^\/api\/(controller\/)?v2\//, 'awx'],
];

/** The API a request path belongs to; undefined for the sandbox's own endpoints. */
export function apiOfPath(path: string): LatencyApi | undefined {
  return ROUTES.find(([pattern]) => pattern.test(path))?.[1];
}

/**
 * `SNOWLINE_SANDBOX_LATENCY`: `realistic`, `off`, or `api=ms[:jitter]` pairs separated by commas
 * (`table=200:80,awx=150`). Throws an error naming the bad part.
 */
export function parseLatencySetting(text: string): Delays {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'off') return {};
  if (trimmed === 'realistic') return { ...REALISTIC_LATENCY };
  const delays: Record<string, unknown> = {};
  for (const part of trimmed.split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*(\d+)(?::(\d+))?\s*$/.exec(part);
    if (!match) throw new Error(`"${part}" is not api=ms[:jitterMs] (or use realistic / off)`);
    delays[match[1]!] = { ms: Number(match[2]), jitterMs: Number(match[3] ?? 0) };
  }
  const parsed = latencyProfileSchema.safeParse(delays);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

/** The answer times in force; replaced whole by `PUT /sandbox/latency`. */
export class LatencyProfile {
  private delays: Delays = {};

  constructor(initial: LatencyProfileInput = {}) {
    this.replace(initial);
  }

  replace(input: unknown): Delays {
    this.delays = latencyProfileSchema.parse(input);
    return this.delays;
  }

  describe(): Delays {
    return this.delays;
  }

  /** This request's delay in ms: the API's base ± a uniform share of its jitter. */
  delayFor(path: string, random: () => number = Math.random): number {
    const api = apiOfPath(path);
    const delay = api && this.delays[api];
    if (!delay) return 0;
    return Math.max(0, Math.round(delay.ms + (random() * 2 - 1) * delay.jitterMs));
  }
}

/** Holds each request for the profile's delay before it is served (and serves it even if its caller has gone). */
export function applyLatency(profile: LatencyProfile, queue: QueuedRequests): RequestHandler {
  return (req, res, next) => {
    const ms = queue.hasPassed(req, 'latency') ? 0 : profile.delayFor(req.path);
    if (ms === 0) return next();
    void queue.serveAfter(req, res, ms, 'latency').catch(next);
  };
}
