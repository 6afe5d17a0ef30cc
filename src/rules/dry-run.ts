import { explainQuery, parseEncodedQuery } from './encoded-query';
import type { MappingCatalog } from './mapping-catalog';
import type { TemplateValue, TriggerDefinition } from './mapping.schema';
import { matchEvent, type MatchInput, type SkipReason } from './matcher';
import { recordReader } from './build-rule-set';
import type { RuleSet } from './rule-set';
import { maskValues } from '../observability/redact';
import { stringsIn } from './template-value';
import { placeholderFields, renderValue } from './template';

export interface DryRunResult {
  ruleVersion: string;
  trigger: MatchInput['trigger'];
  matched: string[];
  steps: { rule: string; name: string; use: string; with: TemplateValue | { error: string } }[];
  explain: Record<
    string,
    {
      matched: boolean;
      mode?: string;
      reason?: string;
      failedTerms?: string[];
      params?: TemplateValue | { error: string };
    }
  >;
}

/** The event a dry-run pretends happened; defaults to an insert with nothing changed. */
export type DryRunEvent = Omit<MatchInput, 'table' | 'record'>;

/**
 * What a ticket would do, without doing it: which rules fire, why each other rule does not (its
 * first failing condition term), and each step with its parameters rendered from the ticket.
 * Parameters that read results of earlier steps stay unrendered (they do not exist yet).
 */
export function dryRun(
  ruleSet: RuleSet,
  catalog: MappingCatalog,
  table: string,
  record: Record<string, string>,
  event: DryRunEvent | MatchInput['trigger'],
): DryRunResult {
  const input: MatchInput = { ...(typeof event === 'string' ? { trigger: event } : event), table, record };
  const { matched, skipped } = matchEvent(ruleSet, input, { explain: true });
  const result: DryRunResult = {
    ruleVersion: ruleSet.version,
    trigger: input.trigger,
    matched: matched.map((r) => r.definition.id),
    steps: [],
    explain: {},
  };
  const command = { name: input.command?.name ?? '', user: input.command?.user ?? '', args: input.command?.args ?? {} };
  for (const rule of matched) {
    const definition = rule.definition;
    const ruleScope = {
      ticket: record,
      command,
      rule: {
        id: definition.id,
        description: definition.description,
        owner: definition.owner,
        risk: definition.risk,
        version: ruleSet.version,
      },
      run: { id: '(dry-run)' },
    };
    const params = attempt(() => renderValue(definition.params, ruleScope));
    // Secret params never appear in an answer: not as params, nor inside a rendered step.
    const secrets =
      'error' in (params as object)
        ? []
        : definition.secret_params.flatMap((name) => stringsIn((params as Record<string, TemplateValue>)[name]));
    const secret = new Set(definition.secret_params);
    const shownParams =
      'error' in (params as object)
        ? params
        : Object.fromEntries(
            Object.entries(params as Record<string, TemplateValue>).map(([name, value]) => [
              name,
              secret.has(name) ? '[redacted]' : value,
            ]),
          );
    result.explain[definition.id] = { matched: true, mode: definition.mode, params: shownParams };
    for (const step of definition.steps) {
      const credential = step.privileged
        ? { credential: placeholderFields((field) => `(${step.credential}.${field}, checked out at run time)`) }
        : {};
      const scope = { ...ruleScope, params: 'error' in (params as object) ? {} : params, steps: {}, ...credential };
      result.steps.push({
        rule: definition.id,
        name: step.name,
        use: step.use,
        with: masked(
          attempt(() => renderValue(step.with, scope)),
          secrets,
        ),
      });
    }
  }
  for (const { ruleId, reason } of skipped) {
    const rule = ruleSet.byTable.get(table)!.find((r) => r.definition.id === ruleId)!;
    const failedTerms =
      reason === 'condition'
        ? explainQuery(
            parseEncodedQuery(rule.definition.condition).query,
            recordReader(table, record, catalog),
          ).failedTerms.map((t) => t.raw)
        : undefined;
    result.explain[ruleId] = {
      matched: false,
      mode: rule.definition.mode,
      reason: describeReason(reason, rule.definition.on),
      failedTerms,
    };
  }
  return result;
}

function describeTrigger(trigger: TriggerDefinition): string {
  if (typeof trigger === 'string') return trigger;
  if ('command' in trigger) return `/automate ${trigger.command} by ${trigger.allowed_groups.join(' or ')}`;
  if ('manual' in trigger) return `manual for ${trigger.allowed_groups.join(' or ')}`;
  return Array.isArray(trigger.changes)
    ? `changes to ${trigger.changes.join(' or ')}`
    : `changes of ${Object.entries(trigger.changes)
        .map(([f, v]) => `${f} to ${v}`)
        .join(' or ')}`;
}

function describeReason(reason: SkipReason, triggers: TriggerDefinition[]): string {
  if (reason === 'trigger') return `fires on ${triggers.map(describeTrigger).join(', ')} only`;
  if (reason === 'not_allowed')
    return 'the agent (who typed the command, or asked through the UI Action) is in none of its allowed groups';
  if (reason === 'condition') return 'condition not met';
  if (reason === 'stopped') return 'an earlier matching rule stops further matching';
  return 'rule is disabled';
}

function masked(
  value: TemplateValue | { error: string },
  secrets: readonly string[],
): TemplateValue | { error: string } {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return maskValues(value, secrets);
  if (Array.isArray(value)) return value.map((v) => masked(v, secrets) as TemplateValue);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, masked(v as TemplateValue, secrets)]),
    ) as TemplateValue;
  return value;
}

function attempt(render: () => TemplateValue): TemplateValue | { error: string } {
  try {
    return render();
  } catch (err) {
    return { error: (err as Error).message };
  }
}
