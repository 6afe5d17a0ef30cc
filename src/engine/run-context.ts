import { z } from 'zod';
import {
  stepRequirementSchema,
  templateValueSchema,
  type EscalationDefinition,
  type RuleDefinition,
  type StepDefinition,
  type StepRequirement,
  type TemplateValue,
  type WritebackDefinition,
} from '../rules/mapping.schema';
import { ifReadable, parseJsonColumn, textFieldsSchema } from '../store/json-column';
import { SnowlineError } from '../errors';
import { renderString, renderValue, type TemplateScope } from '../rules/template';
import type { Join, RetryPolicy } from './run-state-machine';
import { stepParams, stepResult, type Run, type Step } from '../store/run.repository';

/**
 * What a run carries from the moment it matched: the ticket as it was, the rendered params, and
 * the parts of the rule it still needs (its write-backs). Stored with the run, so a run finishes on
 * the rule version it started with even if the mapping tables change meanwhile.
 */
export interface RunContext {
  ticket: Record<string, string>;
  params: Record<string, TemplateValue>;
  rule: { id: string; description: string; owner: string; risk: string; version: string };
  writeback: RuleDefinition['writeback'];
  /** Params marked `secret_params` in the rule: their values are masked on every output channel. */
  secretParams?: string[];
  /** Secret params whose stored values are sealed (src/security/run-secrets.ts); absent in memory once opened. */
  sealedParams?: string[];
  /** Required params that rendered empty when the run matched: the run stops before its first step. */
  emptyParams?: string[];
  /** The work-note command that started the run (absent for other triggers). */
  command?: { name: string; user: string; args: Record<string, string> };
  /** What to do to the ticket when the run fails (absent in runs started before escalation existed). */
  escalation?: EscalationDefinition;
  /** The rule's per-rule limit, pinned with the run like the rest (the key itself is runs.concurrency_key). */
  concurrency?: { maxRuns?: number };
  /** change_request rules: the change plan, and what the change gates remember between checks (src/change/). */
  change?: ChangeRunContext;
  /** The rule's `on_failure` steps, pinned with the run (absent: the configured default applies). */
  onFailure?: StepDefinition[];
  /** This run carries out the `on_failure` steps of the failed run it names (templates read it as `failure`). */
  failureOf?: FailureFacts;
}

/** What `on_failure` steps know of the run that failed. */
export interface FailureFacts {
  run_id: string;
  rule: string;
  step: string;
  error: string;
}

export interface ChangeRunContext {
  plan: NonNullable<RuleDefinition['change']>;
  /** This run carries out the rollback plan of the run `rollbackOf` after its step failed. */
  rollbackOf?: { runId: string; step: string; error: string };
  /** An earlier gate check saw the change cleared to run (a later loss of approval is a withdrawal). */
  cleared?: boolean;
  /** The gate moved the change to Implement (so a run that ends must move it on to Review). */
  implementing?: boolean;
  /** The last reason the run waited, so each new reason is noted on the change once. */
  lastWait?: string;
  /** change_task sys_id per plan step name. */
  tasks?: Record<string, string>;
}

/** A step's flow options, stored with it (steps.flow). */
export interface StepFlow {
  join?: Join;
  /** Liquid condition; false = skipped. */
  when?: string;
  timeoutSeconds?: number;
  /** The step's own retry policy (overrides the connector's and the engine's). */
  retry?: Partial<RetryPolicy>;
  /** For a compensation step: the name of the step it undoes. */
  compensates?: string;
  /** A privileged step: the credential (privilege.credentials) checked out for each attempt. */
  credential?: string;
  /** Milestone checks met before the step starts (see step-requirements.ts). */
  requires?: StepRequirement[];
}

/**
 * A step's `when` condition: true when the Liquid expression holds. The expression comes from the
 * mapping; ticket values reach it only as data in the scope.
 */
export function conditionHolds(condition: string, context: RunContext, runId: string, steps: readonly Step[]): boolean {
  return renderString(`{% if ${condition} %}yes{% endif %}`, templateScope(context, runId, steps)) === 'yes';
}

/** What failed and what was tried, in words, for the escalation work note. */
export function failureSummary(runId: string, steps: readonly Step[]): string {
  const failed = steps.find(
    (s) => (s.state === 'failed' || s.state === 'refused') && !stepFlowIfReadable(s)?.compensates,
  );
  const lines = [
    `Snowline run ${runId} ${failed ? `failed at step ${failed.name} (${failed.connector}.${failed.action}): ${failed.error ?? 'no detail'}` : 'did not complete'}.`,
  ];
  const tried = steps.filter((s) => s.state !== 'blocked' && s.state !== 'cancelled');
  if (tried.length > 0)
    lines.push(
      `Tried: ${tried.map((s) => `${s.name} ${s.state}${s.attempt > 1 ? ` after ${s.attempt} attempts` : ''}`).join('; ')}.`,
    );
  return lines.join('\n');
}

/** What templates see as `command` when no work-note command started the run. */
export const NO_COMMAND = { name: '', user: '', args: {} as Record<string, string> };

/** Results of the run's finished steps by step name, as templates see them (`steps.restart.job_id`). */
export function stepResults(steps: readonly Step[]): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const step of steps) if (step.result) results[step.name] = stepResult(step);
  return results;
}

export function templateScope(
  context: RunContext,
  runId: string,
  steps: readonly Step[],
  extra: TemplateScope = {},
): TemplateScope {
  return {
    ticket: context.ticket,
    params: context.params,
    rule: context.rule,
    command: context.command ?? NO_COMMAND,
    run: { id: runId },
    steps: stepResults(steps),
    ...(context.failureOf ? { failure: context.failureOf } : {}),
    ...extra,
  };
}

/**
 * The PATCH body of a run's write-back for its outcome: field updates plus the work note. A run
 * refused by a gate uses the `refused` write-back, or the `failure` one when the rule has none;
 * `error` then holds the gate and its reason. `waiting_approval` is sent, mid-run, when a step starts
 * waiting for the approval gate.
 */
export function renderWriteback(
  context: RunContext,
  runId: string,
  steps: readonly Step[],
  outcome: 'succeeded' | 'failed' | 'refused' | 'waiting_approval',
  error: string,
): { fields: Record<string, string>; workNote?: string } | undefined {
  const definition = writebackFor(context, outcome);
  const escalation = outcome === 'failed' ? context.escalation : undefined;
  if (!definition && !escalation) return undefined;
  const scope = templateScope(context, runId, steps, { outcome, error });
  const fields = Object.fromEntries(
    Object.entries(definition?.fields ?? {}).map(([name, template]) => [name, renderString(template, scope)]),
  );
  const notes = definition?.work_note ? [renderString(definition.work_note, scope)] : [];
  if (escalation) {
    if (escalation.assignment_group) fields.assignment_group = escalation.assignment_group;
    if (escalation.priority) fields.priority = escalation.priority;
    if (escalation.work_note) notes.push(escalationNote(runId, steps, escalation));
  }
  return { fields, workNote: notes.length > 0 ? notes.join('\n\n') : undefined };
}

/** The rule's write-back for an outcome: a refused run uses `refused`, else `failure`. */
export function writebackFor(
  context: RunContext,
  outcome: 'succeeded' | 'failed' | 'refused' | 'waiting_approval',
): WritebackDefinition | undefined {
  return {
    succeeded: context.writeback.success,
    failed: context.writeback.failure,
    refused: context.writeback.refused ?? context.writeback.failure,
    waiting_approval: context.writeback.waiting_approval,
  }[outcome];
}

function escalationNote(runId: string, steps: readonly Step[], escalation: EscalationDefinition): string {
  const actions = [
    escalation.assignment_group && `reassigned to ${escalation.assignment_group}`,
    escalation.priority && `priority raised to ${escalation.priority}`,
  ].filter(Boolean);
  return `${failureSummary(runId, steps)}${actions.length ? `\nEscalated: ${actions.join(', ')}.` : ''}`;
}

/** `extra` adds what only this attempt knows (a privileged step's `credential`). */
export function renderStepParams(
  step: Step,
  context: RunContext,
  runId: string,
  steps: readonly Step[],
  extra: TemplateScope = {},
): TemplateValue {
  // An empty service name or host would reach the backend as "every service" or "all hosts".
  if (context.emptyParams?.length)
    throw new SnowlineError(
      'rule.param_empty',
      `required parameter${context.emptyParams.length > 1 ? 's' : ''} ${context.emptyParams.join(', ')} rendered empty from the ticket; nothing was run (list it in optional_params if it may be empty)`,
      { details: { params: context.emptyParams } },
    );
  return renderValue(stepParams(step), templateScope(context, runId, steps, extra));
}

/**
 * What is pinned from the rule (write-back, escalation, `on_failure` steps, the change plan) was
 * validated by the mapping schema when the rule was loaded, possibly by an older Snowline: a run
 * keeps it as it was, so here it is only checked to be the object (or list) it must be.
 */
const pinned = <T>(what: 'object' | 'array') =>
  z.custom<T>((value) => (what === 'array' ? Array.isArray(value) : isObject(value)), `must be an ${what}`);
const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);

const nameList = z.array(z.string());

const changeRunContextSchema: z.ZodType<ChangeRunContext> = z.object({
  plan: pinned<ChangeRunContext['plan']>('object'),
  rollbackOf: z.object({ runId: z.string(), step: z.string(), error: z.string() }).optional(),
  cleared: z.boolean().optional(),
  implementing: z.boolean().optional(),
  lastWait: z.string().optional(),
  tasks: textFieldsSchema.optional(),
});

/** `runs.context`: what a run carries from the moment it matched (see RunContext). */
export const runContextSchema: z.ZodType<RunContext> = z.object({
  ticket: textFieldsSchema,
  params: z.record(z.string(), templateValueSchema),
  rule: z.object({ id: z.string(), description: z.string(), owner: z.string(), risk: z.string(), version: z.string() }),
  writeback: pinned<RuleDefinition['writeback']>('object'),
  secretParams: nameList.optional(),
  sealedParams: nameList.optional(),
  emptyParams: nameList.optional(),
  command: z.object({ name: z.string(), user: z.string(), args: textFieldsSchema }).optional(),
  escalation: pinned<NonNullable<RunContext['escalation']>>('object').optional(),
  concurrency: z.object({ maxRuns: z.number().optional() }).optional(),
  change: changeRunContextSchema.optional(),
  onFailure: pinned<NonNullable<RunContext['onFailure']>>('array').optional(),
  failureOf: z.object({ run_id: z.string(), rule: z.string(), step: z.string(), error: z.string() }).optional(),
});

const joinSchema = z.union([
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.literal('first') }),
  z.object({ kind: z.literal('at_least'), n: z.number() }),
]);

/** `steps.flow`: a step's flow options (see StepFlow). */
export const stepFlowSchema: z.ZodType<StepFlow> = z.object({
  join: joinSchema.optional(),
  when: z.string().optional(),
  timeoutSeconds: z.number().optional(),
  retry: z.object({ maxAttempts: z.number(), baseDelayMs: z.number(), maxDelayMs: z.number() }).partial().optional(),
  compensates: z.string().optional(),
  credential: z.string().optional(),
  requires: z.array(stepRequirementSchema).optional(),
});

/** A run's stored context, checked (a CorruptRowError naming the run when it is not what a run carries). */
export function runContextOf(run: Pick<Run, 'id' | 'context'>): RunContext {
  return parseJsonColumn(runContextSchema, { table: 'runs', column: 'context', id: run.id }, run.context);
}

/**
 * A run's stored context, or undefined when it is corrupt: for what a run does once it has ended
 * (its hooks), which cannot read what it does not have; the step that ended it said why.
 */
export const runContextIfReadable = ifReadable(runContextOf);

/** A step's stored flow options, checked (a CorruptRowError naming the step when they are not). */
export function stepFlow(step: Pick<Step, 'id' | 'flow'>): StepFlow {
  return parseJsonColumn(stepFlowSchema, { table: 'steps', column: 'flow', id: step.id }, step.flow);
}

/**
 * A step's flow options, or undefined when they are corrupt: for what is decided around a step that
 * the worker failed for it (the run's next move, its write-back, its hooks), which must not stop there.
 */
export const stepFlowIfReadable = ifReadable(stepFlow);
