import type { TriggerDefinition } from './mapping.schema';
import type { TriggerKey } from './rule-index';
import type { CompiledRule, RuleSet } from './rule-set';

/** A work-note command (`/automate restart-service service=nginx`) and who typed it. */
export interface CommandInvocation {
  name: string;
  args: Record<string, string>;
  /** The agent's user_name (sys_updated_by of the work note). */
  user: string;
  /** Names of the agent's groups (sys_user_grmember), resolved before matching. */
  groups: readonly string[];
}

/** What the matcher needs to know about an event. */
export interface MatchInput {
  table: string;
  /**
   * `manual`: an operator asked for one rule through the API; `scheduled`: a record a rule's
   * scheduled query found (see `ruleId` for both).
   */
  trigger: 'inserted' | 'updated' | 'manual' | 'scheduled';
  record: Record<string, string>;
  /** The record before the update, when known (enables VALCHANGES / CHANGESTO conditions). */
  previous?: Record<string, string>;
  /** Fields the update changed (the event's `changed_fields`): `changes:` triggers read them. */
  changedFields?: readonly string[];
  /** A command typed in the update's work note. */
  command?: CommandInvocation;
  /** For manual triggers: the one rule asked for; for scheduled ones, the rule whose query found the record (unset in a dry-run: any scheduled rule). */
  ruleId?: string;
  /** For manual triggers on behalf of a service-desk agent: who, and their groups (sys_user_grmember). */
  requestedBy?: { user: string; groups: readonly string[] };
}

export type SkipReason = 'disabled' | 'trigger' | 'condition' | 'stopped' | 'not_allowed';

export interface MatchResult {
  /** Rules that fire, in evaluation order (disabled rules never fire). */
  matched: CompiledRule[];
  /** Why each other rule of the table did not fire (only with `explain`; the hot path skips it). */
  skipped: { ruleId: string; reason: SkipReason }[];
}

/**
 * Pure: the rules of one table that an event fires, honouring priority order and `stop`.
 * Without `explain`, only the index's candidates are evaluated (fast path for the dispatcher);
 * with it, every rule is, and each one that does not fire says why (for dry-run).
 */
export function matchEvent(ruleSet: RuleSet, input: MatchInput, options: { explain?: boolean } = {}): MatchResult {
  const rules = options.explain ? (ruleSet.byTable.get(input.table) ?? []) : candidatesOf(ruleSet, input);
  const result: MatchResult = { matched: [], skipped: [] };
  let stopped = false;
  for (const rule of rules) {
    const reason = stopped ? 'stopped' : whyNot(rule, input);
    if (reason) {
      if (options.explain) result.skipped.push({ ruleId: rule.definition.id, reason });
      continue;
    }
    result.matched.push(rule);
    if (rule.definition.stop) stopped = true;
  }
  return result;
}

function candidatesOf(ruleSet: RuleSet, input: MatchInput): CompiledRule[] {
  const index = ruleSet.indexes.get(input.table);
  if (!index) return [];
  const keys: TriggerKey[] = [input.trigger];
  if (input.command) keys.push(`command:${input.command.name}`);
  if (keys.length === 1) return index.candidates(keys[0]!, input.record);
  const all = keys.flatMap((key) => index.candidates(key, input.record)).sort((a, b) => a.order - b.order);
  return all.filter((rule, i) => i === 0 || all[i - 1] !== rule);
}

function whyNot(rule: CompiledRule, input: MatchInput): SkipReason | undefined {
  const definition = rule.definition;
  if (definition.mode === 'disabled') return 'disabled';
  if (input.trigger === 'manual' && input.ruleId !== definition.id) return 'trigger';
  if (input.trigger === 'scheduled' && input.ruleId !== undefined && input.ruleId !== definition.id) return 'trigger';
  let fired: 'yes' | 'no' | 'not_allowed' = 'no';
  for (let i = 0; i < definition.on.length && fired !== 'yes'; i++) {
    const outcome = triggerFires(definition.on[i]!, input);
    if (outcome !== 'no') fired = outcome;
  }
  if (fired !== 'yes') return fired === 'not_allowed' ? 'not_allowed' : 'trigger';
  if (!rule.matches(input.record, input.previous)) return 'condition';
  return undefined;
}

/**
 * Whether one of a rule's triggers fires for the event; `not_allowed` when a command's typist, or
 * the agent a restricted manual trigger acts for, is in none of its groups.
 */
export function triggerFires(trigger: TriggerDefinition, input: MatchInput): 'yes' | 'no' | 'not_allowed' {
  if (typeof trigger === 'string') return trigger === input.trigger ? 'yes' : 'no';
  if ('schedule' in trigger) return input.trigger === 'scheduled' ? 'yes' : 'no';
  if ('manual' in trigger) {
    if (input.trigger !== 'manual') return 'no';
    return input.requestedBy && memberOfAny(input.requestedBy.groups, trigger.allowed_groups) ? 'yes' : 'not_allowed';
  }
  if ('changes' in trigger) {
    if (input.trigger !== 'updated') return 'no';
    const changed = input.changedFields ?? [];
    const fires = Array.isArray(trigger.changes)
      ? trigger.changes.some((field) => changed.includes(field))
      : Object.entries(trigger.changes).some(
          ([field, value]) => changed.includes(field) && input.record[field] === value,
        );
    return fires ? 'yes' : 'no';
  }
  if (input.command?.name !== trigger.command) return 'no';
  return memberOfAny(input.command.groups, trigger.allowed_groups) ? 'yes' : 'not_allowed';
}

/** Group names compare case-insensitively, as ServiceNow's do. */
export function memberOfAny(groups: readonly string[], allowed: readonly string[]): boolean {
  const names = new Set(groups.map((g) => g.toLowerCase()));
  return allowed.some((g) => names.has(g.toLowerCase()));
}
