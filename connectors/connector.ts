import type { z } from 'zod';
import type { Logger } from 'winston';
import type { FailureClass } from '../src/errors';
import type { SharedLimiters } from './rate-limiters';

/**
 * The contract between the engine and a backend. A connector folder exports one
 * `ConnectorDescriptor` from its `index.ts`; the engine, `snowline validate` and the API know
 * connectors only through it. Adding a connector = its folder + one line in `connectors/registry.ts`.
 */

/** What an action is told about the step it runs for. */
export interface ActionContext {
  /**
   * Stable for the run step across attempts, restarts and instances. A connector that can pass it
   * to its backend does; one that cannot uses it to find work it may already have started.
   */
  idempotencyKey: string;
  runId: string;
  stepName: string;
  ticket: { table: string; sysId: string; number: string };
  logger: Logger;
  /** Aborted when the step times out or the run is cancelled. */
  signal: AbortSignal;
}

/**
 * An action either finishes at once (`done`) or has started work on the backend that Snowline
 * must come back to (`pending`): the engine persists `ref` and calls `check` later, so a run
 * waiting on a slow job holds no memory and survives restarts.
 */
export type ActionProgress<R> =
  { status: 'done'; result: R } | { status: 'pending'; ref: string; checkAfterMs: number };

/** How much harm an action can do: a rule is as risky as its riskiest action (four-eyes for high). */
export type RiskLevel = 'low' | 'medium' | 'high';

/** Static description of one action: what `snowline validate` checks mapping steps against. */
export interface ActionSpec<P = unknown, R = unknown> {
  name: string;
  description: string;
  /**
   * Every shipped action declares it (test/unit/connectors/action-risk.test.ts); a function reads the
   * step's unrendered `with` (a playbook's name). Undeclared counts as medium.
   */
  risk?: RiskLevel | ((params: unknown) => RiskLevel);
  params: z.ZodType<P>;
  result: z.ZodType<R>;
}

/** The runtime side of one action, built with the connector's injected clients. */
export interface ActionHandler<P = unknown, R = unknown> {
  start(params: P, ctx: ActionContext): Promise<ActionProgress<R>>;
  /** For actions that return `pending`: look at the backend work again. */
  check?(ref: string, params: P, ctx: ActionContext): Promise<ActionProgress<R>>;
  /**
   * After a crash or an ambiguous failure during `start`: find the work that attempt may have
   * started, by idempotency key. Returns its ref, or undefined when nothing was started.
   */
  recover?(params: P, ctx: ActionContext): Promise<string | undefined>;
  /** Best effort: stop backend work when the run is cancelled. */
  cancel?(ref: string, ctx: ActionContext): Promise<void>;
}

export interface HealthResult {
  ok: boolean;
  detail?: string;
}

/** Dependencies a connector gets from the engine instead of building its own. */
export interface ConnectorDeps {
  logger: Logger;
  /** Fleet-wide limiters (Redis); without them each endpoint's limits hold per instance. */
  limiters?: SharedLimiters;
}

export interface ConnectorRuntime {
  // Each action has its own parameter and result types; a table of them can only be typed loosely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  actions: Record<string, ActionHandler<any, any>>;
  health(): Promise<HealthResult>;
}

/** Default resilience settings, overridable per connector in config. */
export interface ResilienceDefaults {
  /** Requests at once against one backend. */
  maxConcurrent: number;
  /** Requests per hour against one backend; undefined = unlimited. */
  requestsPerHour?: number;
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  breaker: { failureThreshold: number; resetAfterMs: number };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry holds descriptors of every config type
export interface ConnectorDescriptor<C = any> {
  name: string;
  description: string;
  /** zod schema of this connector's section in the configuration. */
  config: z.ZodType<C>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as ConnectorRuntime.actions
  actions: Record<string, ActionSpec<any, any>>;
  /** Whether the backend deduplicates by the idempotency key itself. */
  acceptsIdempotencyKeys: boolean;
  defaults: ResilienceDefaults;
  /** Transient, permanent or ambiguous: decides retries. */
  classify(error: unknown): FailureClass;
  create(config: C, deps: ConnectorDeps): ConnectorRuntime;
}
