import type { CompiledRule, RuleSet } from './rule-set';

/** What the matcher needs to know about an event. */
export interface MatchInput {
  table: string;
  trigger: 'inserted' | 'updated';
  record: Record<string, string>;
  /** The record before the update, when known (enables VALCHANGES / CHANGESTO conditions). */
  previous?: Record<string, string>;
}

export interface MatchResult {
  /** Rules that fire, in evaluation order (disabled rules never fire). */
  matched: CompiledRule[];
  /** Why each other rule of the table did not fire. */
  skipped: { ruleId: string; reason: 'disabled' | 'trigger' | 'condition' | 'stopped' }[];
}

/** Pure: the rules of one table that an event fires, honouring priority order and `stop`. */
export function matchEvent(ruleSet: RuleSet, input: MatchInput): MatchResult {
  const result: MatchResult = { matched: [], skipped: [] };
  let stopped = false;
  for (const rule of ruleSet.byTable.get(input.table) ?? []) {
    const reason = stopped ? 'stopped' : whyNot(rule, input);
    if (reason) {
      result.skipped.push({ ruleId: rule.definition.id, reason });
      continue;
    }
    result.matched.push(rule);
    if (rule.definition.stop) stopped = true;
  }
  return result;
}

function whyNot(rule: CompiledRule, input: MatchInput): 'disabled' | 'trigger' | 'condition' | undefined {
  if (rule.definition.mode === 'disabled') return 'disabled';
  if (!rule.definition.on.includes(input.trigger)) return 'trigger';
  if (!rule.matches(input.record, input.previous)) return 'condition';
  return undefined;
}
