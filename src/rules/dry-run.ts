import { explainQuery, parseEncodedQuery } from './encoded-query';
import type { MappingCatalog } from './mapping-catalog';
import type { TemplateValue } from './mapping.schema';
import { matchEvent } from './matcher';
import { recordReader } from './load-rule-set';
import type { RuleSet } from './rule-set';
import { renderValue } from './template';

export interface DryRunResult {
  ruleVersion: string;
  trigger: 'inserted' | 'updated';
  matched: string[];
  steps: { rule: string; name: string; use: string; with: TemplateValue | { error: string } }[];
  explain: Record<string, { matched: boolean; reason?: string; failedTerms?: string[]; params?: TemplateValue | { error: string } }>;
}

/**
 * What a ticket would do, without doing it: which rules fire, why each other rule does not (its
 * first failing condition term), and each step with its parameters rendered from the ticket.
 * Parameters that read results of earlier steps stay unrendered (they do not exist yet).
 */
export function dryRun(ruleSet: RuleSet, catalog: MappingCatalog, table: string, record: Record<string, string>, trigger: 'inserted' | 'updated'): DryRunResult {
  const { matched, skipped } = matchEvent(ruleSet, { table, trigger, record });
  const result: DryRunResult = { ruleVersion: ruleSet.version, trigger, matched: matched.map((r) => r.definition.id), steps: [], explain: {} };
  for (const rule of matched) {
    const definition = rule.definition;
    const ruleScope = { ticket: record, rule: { id: definition.id, description: definition.description, owner: definition.owner, risk: definition.risk, version: ruleSet.version }, run: { id: '(dry-run)' } };
    const params = attempt(() => renderValue(definition.params, ruleScope));
    result.explain[definition.id] = { matched: true, params };
    for (const step of definition.steps) {
      const scope = { ...ruleScope, params: 'error' in (params as object) ? {} : params, steps: {} };
      result.steps.push({ rule: definition.id, name: step.name, use: step.use, with: attempt(() => renderValue(step.with, scope)) });
    }
  }
  for (const { ruleId, reason } of skipped) {
    const rule = ruleSet.byTable.get(table)!.find((r) => r.definition.id === ruleId)!;
    const failedTerms = reason === 'condition' ? explainQuery(parseEncodedQuery(rule.definition.condition).query, recordReader(table, record, catalog)).failedTerms.map((t) => t.raw) : undefined;
    result.explain[ruleId] = { matched: false, reason: describeReason(reason, rule.definition.on), failedTerms };
  }
  return result;
}

function describeReason(reason: string, triggers: string[]): string {
  if (reason === 'trigger') return `fires on ${triggers.join(', ')} only`;
  if (reason === 'condition') return 'condition not met';
  if (reason === 'stopped') return 'an earlier matching rule stops further matching';
  return 'rule is disabled';
}

function attempt(render: () => TemplateValue): TemplateValue | { error: string } {
  try {
    return render();
  } catch (err) {
    return { error: (err as Error).message };
  }
}
