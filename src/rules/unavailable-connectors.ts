import { buildRuleIndex } from './rule-index';
import type { CompiledRule, RuleSet } from './rule-set';

/** A rule left out of the running set because a connector it uses is not configured here. */
export interface RefusedRule {
  rule: string;
  file: string;
  /** The missing connectors, each with what would configure it. */
  needs: { connector: string; fix: string }[];
}

/**
 * The rule set without the rules whose steps (compensation included) use a connector this instance
 * lacks: those are refused by name at load, rather than failing one run at a time later. Pure.
 * `missing` maps each unavailable connector to the setting that would provide it.
 */
export function withoutUnavailableRules(
  ruleSet: RuleSet,
  missing: ReadonlyMap<string, string>,
): { ruleSet: RuleSet; refused: RefusedRule[] } {
  if (missing.size === 0) return { ruleSet, refused: [] };
  const refused: RefusedRule[] = [];
  const byTable = new Map<string, CompiledRule[]>();
  for (const [table, rules] of ruleSet.byTable) {
    const kept = rules.filter((rule) => {
      const needs = [...connectorsUsed(rule.definition)]
        .filter((name) => missing.has(name))
        .map((connector) => ({ connector, fix: missing.get(connector)! }));
      if (needs.length > 0) refused.push({ rule: rule.definition.id, file: rule.file, needs });
      return needs.length === 0;
    });
    byTable.set(table, kept);
  }
  if (refused.length === 0) return { ruleSet, refused };
  const indexes = new Map([...byTable].map(([table, rules]) => [table, buildRuleIndex(rules)]));
  return { ruleSet: { ...ruleSet, byTable, indexes }, refused };
}

/** Connector names of every `use: <connector>.<action>` anywhere in a rule (steps, branches, compensation). */
function connectorsUsed(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) connectorsUsed(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      const use =
        key === 'use' && 'name' in node && typeof value === 'string' ? /^([a-z0-9_]+)\.[a-z0-9_]+$/.exec(value) : null;
      if (use) found.add(use[1]!);
      else connectorsUsed(value, found);
    }
  }
  return found;
}
