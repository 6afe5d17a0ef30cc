import { parseEncodedQuery, type Term } from './encoded-query';
import type { ResolvedRule } from './mapping.schema';

/** The kinds of event a rule can be looked up by. A work-note command is looked up by its name. */
export type TriggerKey = 'inserted' | 'updated' | 'manual' | 'scheduled' | `command:${string}`;

/**
 * The rules of one table, grouped so matching an event touches only rules that could fire:
 * first by trigger, then, for rules whose condition requires `field=value` (or `fieldINa,b`) in
 * every alternative, by that field's value. Each bucket keeps evaluation order.
 */
export interface RuleIndex<R extends IndexableRule> {
  /** Candidates for an event: every rule that might fire, in evaluation order. */
  candidates(trigger: TriggerKey, record: Record<string, string>): R[];
}

/** What the index reads of a rule: its mode, condition and triggers, and its place in evaluation order. */
export interface IndexableRule {
  definition: Pick<ResolvedRule, 'mode' | 'condition' | 'on'>;
  order: number;
}

interface TriggerBucket<R> {
  /** Rules with no indexable equality term. */
  unindexed: R[];
  /** field → value → rules requiring it. */
  byValue: Map<string, Map<string, R[]>>;
}

export function buildRuleIndex<R extends IndexableRule>(rules: readonly R[]): RuleIndex<R> {
  const live = rules.filter((rule) => rule.definition.mode !== 'disabled');
  const terms = new Map(live.map((rule) => [rule, indexableTerms(rule.definition.condition)]));
  // How many rules require each field=value: a rule is filed under its rarest requirement.
  const popularity = new Map<string, number>();
  for (const options of terms.values())
    for (const o of options)
      for (const v of o.values) popularity.set(`${o.field}=${v}`, (popularity.get(`${o.field}=${v}`) ?? 0) + 1);
  const cost = (o: EqualityTerm) => o.values.reduce((n, v) => n + popularity.get(`${o.field}=${v}`)!, 0);
  const buckets = new Map<TriggerKey, TriggerBucket<R>>();
  for (const rule of live) {
    const equality = terms.get(rule)!.sort((a, b) => cost(a) - cost(b))[0];
    for (const key of triggerKeysOf(rule)) {
      let bucket = buckets.get(key);
      if (!bucket) buckets.set(key, (bucket = { unindexed: [], byValue: new Map() }));
      if (!equality) {
        bucket.unindexed.push(rule);
        continue;
      }
      let values = bucket.byValue.get(equality.field);
      if (!values) bucket.byValue.set(equality.field, (values = new Map()));
      for (const value of new Set(equality.values)) values.set(value, [...(values.get(value) ?? []), rule]);
    }
  }
  return {
    candidates(trigger, record) {
      const bucket = buckets.get(trigger);
      if (!bucket) return [];
      const found: R[][] = bucket.unindexed.length ? [bucket.unindexed] : [];
      for (const [field, values] of bucket.byValue) {
        const rules = values.get(record[field] ?? '');
        if (rules) found.push(rules);
      }
      if (found.length <= 1) return found[0] ?? [];
      // Each list is in evaluation order; a rule is in at most one list per trigger.
      return found.flat().sort((a, b) => a.order - b.order);
    },
  };
}

function triggerKeysOf(rule: IndexableRule): TriggerKey[] {
  const keys = new Set<TriggerKey>();
  for (const trigger of rule.definition.on) {
    if (typeof trigger === 'string') keys.add(trigger);
    else if ('changes' in trigger) keys.add('updated');
    else if ('manual' in trigger) keys.add('manual');
    else if ('schedule' in trigger) keys.add('scheduled');
    else keys.add(`command:${trigger.command}`);
  }
  return [...keys];
}

interface EqualityTerm {
  field: string;
  values: string[];
}

/**
 * The `field=value` / `fieldINa,b` terms every record matching the condition must satisfy: clauses
 * of a single such term on a plain (not dot-walked) field, in a query of one group. Equality is
 * exact string comparison in the evaluator, so an index lookup decides the same as the term.
 */
function indexableTerms(condition: string): EqualityTerm[] {
  const { query } = parseEncodedQuery(condition);
  if (query.groups.length !== 1) return [];
  const found: EqualityTerm[] = [];
  for (const clause of query.groups[0]!) {
    const term: Term | undefined = clause.length === 1 ? clause[0] : undefined;
    if (!term || term.field.includes('.') || term.value.startsWith('javascript:')) continue;
    if (term.operator === '=') found.push({ field: term.field, values: [term.value] });
    if (term.operator === 'IN') found.push({ field: term.field, values: term.value.split(',') });
  }
  return found;
}
