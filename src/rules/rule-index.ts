import { parseEncodedQuery, type Term } from './encoded-query';
import type { CompiledRule } from './rule-set';

/** The kinds of event a rule can be looked up by. A work-note command is looked up by its name. */
export type TriggerKey = 'inserted' | 'updated' | 'manual' | `command:${string}`;

/**
 * The rules of one table, grouped so matching an event touches only rules that could fire:
 * first by trigger, then, for rules whose condition requires `field=value` (or `fieldINa,b`) in
 * every alternative, by that field's value. Each bucket keeps evaluation order.
 */
export interface RuleIndex {
  /** Candidates for an event: every rule that might fire, in evaluation order. */
  candidates(trigger: TriggerKey, record: Record<string, string>): CompiledRule[];
}

interface TriggerBucket {
  /** Rules with no indexable equality term. */
  unindexed: CompiledRule[];
  /** field → value → rules requiring it. */
  byValue: Map<string, Map<string, CompiledRule[]>>;
}

export function buildRuleIndex(rules: readonly CompiledRule[]): RuleIndex {
  const buckets = new Map<TriggerKey, TriggerBucket>();
  for (const rule of rules) {
    if (rule.definition.mode === 'disabled') continue;
    const equality = indexableTerm(rule.definition.condition);
    for (const key of triggerKeysOf(rule)) {
      let bucket = buckets.get(key);
      if (!bucket) buckets.set(key, (bucket = { unindexed: [], byValue: new Map() }));
      if (!equality) {
        bucket.unindexed.push(rule);
        continue;
      }
      let values = bucket.byValue.get(equality.field);
      if (!values) bucket.byValue.set(equality.field, (values = new Map()));
      for (const value of equality.values) values.set(value, [...(values.get(value) ?? []), rule]);
    }
  }
  return {
    candidates(trigger, record) {
      const bucket = buckets.get(trigger);
      if (!bucket) return [];
      let found: CompiledRule[] | undefined;
      for (const [field, values] of bucket.byValue) {
        const rules = values.get(record[field] ?? '');
        if (rules) found = found ? [...found, ...rules] : rules;
      }
      if (!found) return bucket.unindexed;
      return mergeInOrder(bucket.unindexed, found);
    },
  };
}

function triggerKeysOf(rule: CompiledRule): TriggerKey[] {
  const keys = new Set<TriggerKey>();
  for (const trigger of rule.definition.on) {
    if (typeof trigger === 'string') keys.add(trigger);
    else if ('changes' in trigger) keys.add('updated');
    else keys.add(`command:${trigger.command}`);
  }
  return [...keys];
}

/**
 * A `field=value` or `fieldINa,b` term every record matching the condition must satisfy: the only
 * group's clause of a single such term on a plain (not dot-walked) field. Equality is exact string
 * comparison in the evaluator, so an index lookup decides the same as evaluating the term.
 */
function indexableTerm(condition: string): { field: string; values: string[] } | undefined {
  const { query } = parseEncodedQuery(condition);
  if (query.groups.length !== 1) return undefined;
  for (const clause of query.groups[0]!) {
    const term: Term | undefined = clause.length === 1 ? clause[0] : undefined;
    if (!term || term.field.includes('.') || term.value.startsWith('javascript:')) continue;
    if (term.operator === '=') return { field: term.field, values: [term.value] };
    if (term.operator === 'IN') return { field: term.field, values: term.value.split(',') };
  }
  return undefined;
}

function mergeInOrder(a: readonly CompiledRule[], b: readonly CompiledRule[]): CompiledRule[] {
  const all = a.length === 0 ? [...b] : [...a, ...b];
  all.sort((x, y) => x.order - y.order);
  // A rule indexed under two fields' values would appear twice; rules are unique by order.
  return all.filter((rule, i) => i === 0 || all[i - 1]!.order !== rule.order);
}
