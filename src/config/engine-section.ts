import { z } from 'zod';
import { stepSchema } from '../rules/mapping.schema';

/** The `engine` section: workers, leases, retries and their deadlines, breakers, failure hooks. */
export const engineSchema = z.object({
  workerConcurrency: z
    .number()
    .int()
    .positive()
    .describe("steps in flight at once on one instance, at most (each connector's maxConcurrent applies below it)"),
  tickMs: z.number().int().positive().describe('how often idle workers look for due work, in ms'),
  leaseMs: z
    .number()
    .int()
    .positive()
    .describe(
      'how long a claimed step or write-back stays claimed without a heartbeat, in ms; a step in progress is renewed every third of it',
    ),
  retry: z.object({
    maxAttempts: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('caps attempts of one write-back too; unset = writebackDeadlineSeconds alone bounds them'),
    baseDelayMs: z.number().int().positive().describe('first retry delay (doubling, with full jitter), in ms'),
    maxDelayMs: z.number().int().positive().describe('longest retry delay, in ms'),
    deadlineSeconds: z
      .number()
      .int()
      .min(1)
      .default(900)
      .describe(
        'how long a step failing for reasons that may pass (5xx, timeouts, 429) is retried, counted from its first attempt, in seconds; a rule step may cap attempts with retry.max_attempts',
      ),
    writebackDeadlineSeconds: z
      .number()
      .int()
      .min(1)
      .default(3600)
      .describe(
        'how long a write-back failing for reasons that may pass (ServiceNow 5xx, timeouts, 429) is retried, counted from when it was queued, in seconds; then its run ends writeback_failed',
      ),
  }),
  eventRetryDeadlineSeconds: z
    .number()
    .int()
    .min(1)
    .default(3600)
    .describe(
      'how long an event whose dispatch fails for reasons that may pass (ServiceNow lookups down) is retried before it is rejected, in seconds',
    ),
  maxActiveRuns: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'runs active (running or paused) at once on all instances together; more wait queued, oldest first; unset = no limit',
    ),
  leaderCheckMs: z
    .number()
    .int()
    .positive()
    .default(5000)
    .describe(
      'PostgreSQL: how often a follower tries to become the leader of scheduled jobs (the failover time) and the leader checks its connection, in ms',
    ),
  gateRecheckMs: z
    .number()
    .int()
    .positive()
    .default(5000)
    .describe(
      'a gate that answers "wait" without a time is asked again after this many ms; an event on the ticket asks at once',
    ),
  breakers: z
    .record(
      z.string(),
      z.object({ failureThreshold: z.number().int().positive(), resetAfterMs: z.number().int().positive() }).strict(),
    )
    .default({})
    .describe(
      "circuit breaker per connector, replacing the connector's defaults: failed calls that open it, and ms until it lets a trial call through",
    ),
  onFailure: z
    .array(stepSchema)
    .max(10)
    .default([])
    .describe(
      'steps run as a run of their own when a run fails, for rules without on_failure (e.g. a notify.slack step); validated like mapping steps at start',
    ),
});
