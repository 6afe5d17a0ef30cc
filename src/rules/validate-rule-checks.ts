/** Checks of a rule's own fields: its condition, its triggers, and the params its param lists name. */
import { checkEncodedQuery } from './validate-query';
import type { RuleDefinition } from './mapping.schema';
import type { MappingCatalog } from './mapping-catalog';
import type { Report } from './validation-problem';

export function checkCondition(table: string, rule: RuleDefinition, catalog: MappingCatalog, report: Report): void {
  if (rule.condition) checkEncodedQuery(table, rule.condition, 'condition', ['condition'], catalog, report);
}

export function checkTriggers(table: string, rule: RuleDefinition, catalog: MappingCatalog, report: Report): void {
  const commands = new Set<string>();
  rule.on.forEach((trigger, i) => {
    if (typeof trigger === 'string' || 'manual' in trigger) return;
    if ('schedule' in trigger)
      return checkEncodedQuery(
        table,
        trigger.schedule.query,
        'schedule.query',
        ['on', i, 'schedule', 'query'],
        catalog,
        report,
        {
          evaluable: true,
        },
      );
    if ('command' in trigger) {
      if (commands.has(trigger.command)) report(['on', i, 'command'], `command ${trigger.command} is listed twice`);
      commands.add(trigger.command);
      return;
    }
    const fields = Array.isArray(trigger.changes) ? trigger.changes : Object.keys(trigger.changes);
    for (const field of fields) {
      if (!catalog.fieldExists(table, field))
        report(
          ['on', i, 'changes', Array.isArray(trigger.changes) ? fields.indexOf(field) : field],
          `changes: unknown field ${field} on table ${table}`,
        );
    }
  });
}

/** A misspelt name in secret_params (or optional_params) would leave the real secret unmasked: each must name a param. */
export function checkSecretParams(rule: RuleDefinition, report: Report): void {
  for (const list of ['secret_params', 'optional_params'] as const)
    rule[list].forEach((name, i) => {
      if (!(name in rule.params))
        report(
          [list, i],
          `${list}: ${name} is not a param of this rule (params: ${Object.keys(rule.params).join(', ') || 'none'})`,
        );
    });
}
