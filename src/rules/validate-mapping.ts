import { z } from 'zod';
import { parseEncodedQuery, termsOf } from './encoded-query';
import { mappingFileSchema, type MappingFile, type RuleDefinition, type TemplateValue } from './mapping.schema';
import type { MappingCatalog } from './mapping-catalog';
import { TEMPLATE_ROOTS } from './mapping-catalog';
import { templateSyntaxProblem, variablesOf } from './template';
import type { MappingProblem } from './validation-problem';
import { parsePositionedYaml, type PositionedYaml } from './yaml-positions';

/** Operators whose value names another field of the same record. */
const FIELD_VALUE_OPERATORS = new Set(['SAMEAS', 'NSAMEAS', 'GT_FIELD', 'LT_FIELD', 'GT_OR_EQUALS_FIELD', 'LT_OR_EQUALS_FIELD']);

export interface ValidatedFile {
  file: string;
  mapping: MappingFile;
}

/**
 * Checks one mapping file: YAML syntax, the schema, encoded-query syntax and fields, connector
 * actions and their parameters, and template variables. Cross-file checks (duplicate ids,
 * unreachable rules) are in `validateRuleOrder`.
 */
export function validateMappingFile(file: string, text: string, catalog: MappingCatalog): { file?: ValidatedFile; problems: MappingProblem[]; yaml: PositionedYaml } {
  const yaml = parsePositionedYaml(text);
  const problems: MappingProblem[] = yaml.syntaxErrors.map((e) => ({ file, ...e }));
  if (problems.length > 0) return { problems, yaml };
  const parsed = mappingFileSchema.safeParse(yaml.data ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push({ file, ...yaml.positionOf(issue.path), message: describeIssue(issue) });
    return { problems, yaml };
  }
  const mapping = parsed.data;
  mapping.rules.forEach((rule, index) => {
    const report = (path: PropertyKey[], message: string, offset?: number) =>
      problems.push({ file, ...yaml.positionOf(['rules', index, ...path], offset), message: `rule ${rule.id}: ${message}` });
    checkCondition(mapping.table, rule, catalog, report);
    checkSteps(rule.steps, ['steps'], catalog, report);
    checkChangePlan(mapping.table, rule, catalog, report);
    checkTemplates(mapping.table, rule, catalog, report);
  });
  return { file: problems.length ? undefined : { file, mapping }, problems, yaml };
}

type Report = (path: PropertyKey[], message: string, offset?: number) => void;

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.join('.') : 'file';
  if (issue.code === 'unrecognized_keys') return `${where}: unknown key(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `${where}: required`;
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

function checkCondition(table: string, rule: RuleDefinition, catalog: MappingCatalog, report: Report): void {
  if (!rule.condition) return;
  const { query, problems } = parseEncodedQuery(rule.condition);
  for (const p of problems) report(['condition'], `condition: ${p.message} (${JSON.stringify(p.text)})`, p.offset);
  for (const term of termsOf(query)) {
    const fields = FIELD_VALUE_OPERATORS.has(term.operator) ? [term.field, term.value] : [term.field];
    for (const field of fields) {
      if (field.includes('.')) report(['condition'], `condition: dot-walked field ${field} is not supported yet`, term.offset);
      else if (!catalog.fieldExists(table, field)) report(['condition'], `condition: unknown field ${field} on table ${table}`, term.offset);
    }
  }
}

/** A change block belongs on change_request rules, behind the `change` gate; its rollback steps are steps like any other. */
function checkChangePlan(table: string, rule: RuleDefinition, catalog: MappingCatalog, report: Report): void {
  if (!rule.change) return;
  if (table !== 'change_request') report(['change'], `a change block only applies to change_request rules, not ${table}`);
  if (!rule.gates.includes('change')) report(['gates'], 'a rule with a change block must list the change gate (gates: [change]); without it nothing checks approval or window');
  checkSteps(rule.change.rollback, ['change', 'rollback'], catalog, report);
}

function checkSteps(steps: RuleDefinition['steps'], at: PropertyKey[], catalog: MappingCatalog, outer: Report): void {
  const report: Report = (path, message, offset) => outer([...at, ...path.slice(1)], message, offset);
  const seen = new Set<string>();
  steps.forEach((step, i) => {
    if (seen.has(step.name)) report(['steps', i, 'name'], `step name ${step.name} is used twice`);
    seen.add(step.name);
    const [connector = '', actionName = ''] = step.use.split('.');
    if (!catalog.connectorExists(connector)) return report(['steps', i, 'use'], `unknown connector ${connector}`);
    const action = catalog.action(connector, actionName);
    if (!action) return report(['steps', i, 'use'], `connector ${connector} has no action ${actionName}`);
    const shape = action.params instanceof z.ZodObject ? (action.params.shape as Record<string, z.ZodType>) : undefined;
    if (!shape) return;
    for (const key of Object.keys(step.with)) {
      if (!(key in shape)) report(['steps', i, 'with', key], `${step.use} has no parameter ${key} (it takes ${Object.keys(shape).join(', ')})`);
    }
    for (const [key, schema] of Object.entries(shape)) {
      if (!(key in step.with) && !schema.safeParse(undefined).success) report(['steps', i, 'with'], `${step.use} needs parameter ${key}`);
    }
  });
}

function checkTemplates(table: string, rule: RuleDefinition, catalog: MappingCatalog, report: Report): void {
  const params = new Set(Object.keys(rule.params));
  const steps = new Set(rule.steps.map((s) => s.name));
  const check = (path: PropertyKey[], value: TemplateValue, scope: { params: boolean; writeback: boolean }) =>
    forEachString(value, path, (text, at) => {
      const syntax = templateSyntaxProblem(text);
      if (syntax) return report(at, `template: ${syntax}`);
      for (const variable of variablesOf(text)) {
        const problem = variableProblem(variable, table, catalog, { params: scope.params ? params : undefined, steps, writeback: scope.writeback });
        if (problem) report(at, `template: ${problem}`);
      }
    });
  for (const [name, value] of Object.entries(rule.params)) check(['params', name], value, { params: false, writeback: false });
  rule.steps.forEach((step, i) => check(['steps', i, 'with'], step.with, { params: true, writeback: false }));
  for (const outcome of ['success', 'failure'] as const) {
    const wb = rule.writeback[outcome];
    if (!wb) continue;
    if (wb.work_note) check(['writeback', outcome, 'work_note'], wb.work_note, { params: true, writeback: true });
    for (const [field, value] of Object.entries(wb.fields)) {
      if (!catalog.fieldExists(table, field)) report(['writeback', outcome, 'fields', field], `unknown field ${field} on table ${table}`);
      check(['writeback', outcome, 'fields', field], value, { params: true, writeback: true });
    }
  }
}

function variableProblem(
  variable: string,
  table: string,
  catalog: MappingCatalog,
  known: { params?: Set<string>; steps: Set<string>; writeback: boolean },
): string | undefined {
  const [root = '', name] = variable.split('.');
  if (!(root in TEMPLATE_ROOTS)) return `unknown variable ${root} (use one of ${Object.keys(TEMPLATE_ROOTS).join(', ')})`;
  if (root === 'ticket' && name && !catalog.fieldExists(table, name)) return `unknown field ticket.${name} on table ${table}`;
  if (root === 'params' && name && !known.params) return 'params cannot refer to params';
  if (root === 'params' && name && known.params && !known.params.has(name)) return `params.${name} is not defined in this rule`;
  if (root === 'steps' && name && !known.steps.has(name)) return `steps.${name} is not a step of this rule`;
  if ((root === 'outcome' || root === 'error') && !known.writeback) return `${root} is only known in write-backs`;
  return undefined;
}

function forEachString(value: TemplateValue, path: PropertyKey[], fn: (text: string, path: PropertyKey[]) => void): void {
  if (typeof value === 'string') fn(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => forEachString(v, [...path, i], fn));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) forEachString(v, [...path, k], fn);
}
