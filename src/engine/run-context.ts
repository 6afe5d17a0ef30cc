import type { RuleDefinition, TemplateValue } from '../rules/mapping.schema';
import { renderString, renderValue, type TemplateScope } from '../rules/template';
import type { Step } from '../store/run.repository';

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
  /** change_request rules: the change plan, and what the change gates remember between checks (src/change/). */
  change?: ChangeRunContext;
}

export interface ChangeRunContext {
  plan: NonNullable<RuleDefinition['change']>;
  /** This run carries out the rollback plan of the run `rollbackOf` after its step failed. */
  rollbackOf?: { runId: string; step: string; error: string };
  /** An earlier gate check saw the change cleared to run (a later loss of approval is a withdrawal). */
  cleared?: boolean;
  /** The last reason the run waited, so each new reason is noted on the change once. */
  lastWait?: string;
  /** change_task sys_id per plan step name. */
  tasks?: Record<string, string>;
}

/** Results of the run's finished steps by step name, as templates see them (`steps.restart.job_id`). */
export function stepResults(steps: readonly Step[]): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const step of steps) if (step.result) results[step.name] = JSON.parse(step.result);
  return results;
}

export function templateScope(context: RunContext, runId: string, steps: readonly Step[], extra: TemplateScope = {}): TemplateScope {
  return { ticket: context.ticket, params: context.params, rule: context.rule, run: { id: runId }, steps: stepResults(steps), ...extra };
}

/**
 * The PATCH body of a run's write-back for its outcome: field updates plus the work note. A run
 * refused by a gate uses the `refused` write-back, or the `failure` one when the rule has none;
 * `error` then holds the gate and its reason.
 */
export function renderWriteback(context: RunContext, runId: string, steps: readonly Step[], outcome: 'succeeded' | 'failed' | 'refused', error: string): { fields: Record<string, string>; workNote?: string } | undefined {
  const definition = outcome === 'succeeded' ? context.writeback.success : outcome === 'refused' ? (context.writeback.refused ?? context.writeback.failure) : context.writeback.failure;
  if (!definition) return undefined;
  const scope = templateScope(context, runId, steps, { outcome, error });
  const fields = Object.fromEntries(Object.entries(definition.fields).map(([name, template]) => [name, renderString(template, scope)]));
  return { fields, workNote: definition.work_note ? renderString(definition.work_note, scope) : undefined };
}

export function renderStepParams(step: Step, context: RunContext, runId: string, steps: readonly Step[]): TemplateValue {
  return renderValue(JSON.parse(step.params) as TemplateValue, templateScope(context, runId, steps));
}
