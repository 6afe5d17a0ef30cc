import type { ResolvedRule } from './mapping.schema';
import type { RuleIndex } from './rule-index';

/** One rule ready for matching, with its table and where it was written. */
export interface CompiledRule {
  table: string;
  definition: ResolvedRule;
  /** Position in the table's evaluation order (priority, then file order). */
  order: number;
  /** True when the event's record satisfies the rule's encoded query. */
  matches(record: Record<string, string>, previous?: Record<string, string>): boolean;
  file: string;
}

/**
 * An immutable, validated set of mapping tables. `version` is a content hash: the same files give
 * the same version on every instance, and runs record the version they started on.
 */
export interface RuleSet {
  version: string;
  /** Per table, rules in evaluation order (priority, then file order). */
  byTable: Map<string, CompiledRule[]>;
  /** Per table, the rules grouped by trigger and equality terms, so an event looks only at candidates. */
  indexes: Map<string, RuleIndex<CompiledRule>>;
  /** Per table, the dot-walked paths conditions read (`caller_id.vip`): fetched once per event. */
  dotWalks: Map<string, string[]>;
  /** The source files, for the version history. */
  sources: Record<string, string>;
}

export function findRule(ruleSet: RuleSet, ruleId: string): CompiledRule | undefined {
  for (const rules of ruleSet.byTable.values()) {
    const found = rules.find((r) => r.definition.id === ruleId);
    if (found) return found;
  }
  return undefined;
}
