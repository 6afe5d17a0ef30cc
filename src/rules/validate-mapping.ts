import { z } from 'zod';
import { parseEncodedQuery, termsOf } from './encoded-query';
import { OPERATORS } from './encoded-query/operators';
import { didYouMean } from './suggestion';
import {
  mappingFileSchema,
  templateFileSchema,
  type MappingFile,
  type ResolvedRule,
  type RuleDefinition,
  type StepRequirement,
  type TemplateDefinition,
  type TemplateValue,
} from './mapping.schema';
import type { MappingCatalog } from './mapping-catalog';
import { TEMPLATE_ROOTS } from './mapping-catalog';
import { effectiveRisk, higherRisk } from './rule-risk';
import { templateSyntaxProblem, variablesOf } from './template';
import type { MappingProblem } from './validation-problem';
import { APPROVAL_GATE } from './catalog';
import { parsePositionedYaml, type PositionedYaml } from './yaml-positions';

/**
 * Operators whose value names another field of the same record, possibly followed by `@unit…`
 * (`sys_updated_onSAMEASopened_at@day`, `sla_dueMORETHANactivity_due@day@before@1`). For every
 * other operator the value is data (a date like `2024-01-01@2024-02-01`, a list), never a field.
 */
const FIELD_VALUE_OPERATORS = new Set([
  'SAMEAS',
  'NSAMEAS',
  'GT_FIELD',
  'LT_FIELD',
  'GT_OR_EQUALS_FIELD',
  'LT_OR_EQUALS_FIELD',
  'MORETHAN',
  'LESSTHAN',
]);

/** The field a term's value names, for the operators that compare two fields. */
export function fieldNamedByValue(term: { operator: string; value: string }): string | undefined {
  if (!FIELD_VALUE_OPERATORS.has(term.operator)) return undefined;
  return term.value.split('@')[0] || undefined;
}

/** A mapping file whose rules all have their steps (templates expanded). */
export interface ValidatedFile {
  file: string;
  mapping: Omit<MappingFile, 'rules'> & { rules: ResolvedRule[] };
}

/** Templates are table-agnostic: they may read the fields every ITIL record has (the task table's). */
const TEMPLATE_TABLE = 'task';

/**
 * Checks one mapping file: YAML syntax, the schema, encoded-query syntax and fields, connector
 * actions and their parameters, and template variables. Cross-file checks (duplicate ids,
 * unreachable rules) are in `validateRuleOrder`.
 */
export function validateMappingFile(
  file: string,
  text: string,
  catalog: MappingCatalog,
): { file?: ValidatedFile; problems: MappingProblem[]; yaml: PositionedYaml } {
  const yaml = parsePositionedYaml(text);
  const problems: MappingProblem[] = yaml.syntaxErrors.map((e) => ({ file, ...e }));
  if (problems.length > 0) return { problems, yaml };
  const parsed = mappingFileSchema.safeParse(yaml.data ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push({ file, ...yaml.positionOf(issue.path), message: describeIssue(issue) });
    return { problems, yaml };
  }
  const mapping = parsed.data;
  const rules = mapping.rules.map((rule, index) => {
    const report = (path: PropertyKey[], message: string, offset?: number) =>
      problems.push({
        file,
        ...yaml.positionOf(['rules', index, ...path], offset),
        message: `rule ${rule.id}: ${message}`,
      });
    checkCondition(mapping.table, rule, catalog, report);
    checkTriggers(mapping.table, rule, catalog, report);
    checkSecretParams(rule, report);
    rule.gates.forEach((gate, g) => checkGateName(gate, ['gates', g], catalog, report));
    if (rule.use) return resolveTemplateUse(mapping.table, rule, catalog, report);
    const resolved: ResolvedRule = {
      ...rule,
      risk: effectiveRisk(rule.risk, rule.steps!, catalog),
      declared_risk: rule.risk,
      steps: rule.steps!,
    };
    checkSteps(mapping.table, resolved.steps, ['steps'], catalog, report, rule.gates);
    checkChangePlan(mapping.table, rule, catalog, report);
    checkTemplates(mapping.table, resolved, catalog, report);
    return resolved;
  });
  return {
    file: problems.length ? undefined : { file, mapping: { ...mapping, rules: rules as ResolvedRule[] } },
    problems,
    yaml,
  };
}

/**
 * Checks one reusable component of mappings/templates/: the schema, that its name is its file
 * name, its steps' actions and parameters, and that its templates read only its own params.
 */
export function validateTemplateFile(
  file: string,
  text: string,
  catalog: MappingCatalog,
): { template?: TemplateDefinition; problems: MappingProblem[] } {
  const yaml = parsePositionedYaml(text);
  const problems: MappingProblem[] = yaml.syntaxErrors.map((e) => ({ file, ...e }));
  if (problems.length > 0) return { problems };
  const parsed = templateFileSchema.safeParse(yaml.data ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      problems.push({ file, ...yaml.positionOf(issue.path), message: describeIssue(issue) });
    return { problems };
  }
  const template = parsed.data;
  const report: Report = (path, message) =>
    problems.push({ file, ...yaml.positionOf(path), message: `template ${template.template}: ${message}` });
  const expectedName = file.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/, '');
  if (template.template !== expectedName) report(['template'], `name must match the file name (${expectedName})`);
  checkSteps(TEMPLATE_TABLE, template.steps, ['steps'], catalog, report);
  const asRule = {
    id: template.template,
    steps: template.steps,
    params: Object.fromEntries(Object.keys(template.params).map((p) => [p, ''])),
    writeback: {},
  } as unknown as ResolvedRule;
  checkTemplates(TEMPLATE_TABLE, asRule, catalog, report, { stepsOnly: true });
  return { template: problems.length ? undefined : template, problems };
}

/** A rule that `use`s a template: the template exists, and the rule's params fill exactly its parameters. */
function resolveTemplateUse(
  table: string,
  rule: RuleDefinition,
  catalog: MappingCatalog,
  report: Report,
): ResolvedRule | undefined {
  const name = rule.use!.slice('template:'.length);
  const template = catalog.template(name);
  if (!template) {
    report(['use'], `unknown template ${name} (no mappings/templates/${name}.yaml, or it is invalid)`);
    return undefined;
  }
  for (const key of Object.keys(rule.params)) {
    if (!(key in template.params))
      report(
        ['params', key],
        `template ${name} has no parameter ${key} (it takes ${Object.keys(template.params).join(', ') || 'none'})`,
      );
  }
  const params: Record<string, TemplateValue> = {};
  for (const [key, spec] of Object.entries(template.params)) {
    if (key in rule.params) params[key] = rule.params[key]!;
    else if (spec.default !== undefined) params[key] = spec.default;
    else if (spec.required) report(['params'], `template ${name} needs parameter ${key} (${spec.description})`);
  }
  // A template's parameter marked `required: false` may render empty; the others stop the run when they do.
  const optional = Object.entries(template.params)
    .filter(([, spec]) => !spec.required)
    .map(([key]) => key);
  const resolved: ResolvedRule = {
    ...rule,
    risk: effectiveRisk(higherRisk(rule.risk, template.risk ?? 'low'), template.steps, catalog),
    declared_risk: rule.risk,
    params,
    optional_params: [...new Set([...rule.optional_params, ...optional])],
    steps: template.steps,
  };
  checkTemplates(table, resolved, catalog, report, { skipSteps: true });
  return resolved;
}

function checkTriggers(table: string, rule: RuleDefinition, catalog: MappingCatalog, report: Report): void {
  const commands = new Set<string>();
  rule.on.forEach((trigger, i) => {
    if (typeof trigger === 'string' || 'manual' in trigger) return;
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

type Report = (path: PropertyKey[], message: string, offset?: number) => void;

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union') {
    // The branch whose shape the value took (its problems are inside it) says what is wrong.
    const shaped = issue.errors
      .filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0))
      .sort((a, b) => a.length - b.length)[0];
    if (shaped) return describeIssue({ ...shaped[0]!, path: [...issue.path, ...shaped[0]!.path] } as z.core.$ZodIssue);
    if (issue.path.at(-2) === 'on')
      return `${issue.path.join('.')}: a trigger is inserted, updated, manual, { changes: [fields] or { field: value } }, { command: name, allowed_groups: [groups] } or { manual: true, allowed_groups: [groups] }`;
  }
  const where = issue.path.length ? issue.path.join('.') : 'file';
  if (issue.code === 'unrecognized_keys') return `${where}: unknown key(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `${where}: required`;
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

/** Operators meaningless without a value; `=` and `!=` with none compare to the empty string, as in ServiceNow. */
const VALUE_REQUIRED = new Set<string>(
  Object.entries(OPERATORS)
    .filter(([operator, spec]) => spec.takesValue && operator !== '=' && operator !== '!=')
    .map(([operator]) => operator),
);

function checkCondition(table: string, rule: RuleDefinition, catalog: MappingCatalog, report: Report): void {
  if (!rule.condition) return;
  const { query, problems } = parseEncodedQuery(rule.condition);
  for (const p of problems) report(['condition'], `condition: ${p.message} (${JSON.stringify(p.text)})`, p.offset);
  for (const term of termsOf(query)) {
    // ServiceNow silently ignores `priority>`; in a rule it is a typo that would change what matches.
    if (term.value === '' && VALUE_REQUIRED.has(term.operator))
      report(
        ['condition'],
        `condition: ${JSON.stringify(term.raw)} has operator ${term.operator} but no value (write ${term.field}ISEMPTY to test for empty)`,
        term.offset,
      );
    const other = fieldNamedByValue(term);
    for (const field of other ? [term.field, other] : [term.field]) {
      if (catalog.fieldExists(table, field)) continue;
      const walk = field.includes('.')
        ? ' (a dot-walk goes through reference fields to a field of the referenced table)'
        : '';
      report(['condition'], `condition: unknown field ${field} on table ${table}${walk}`, term.offset);
    }
  }
}

/** A misspelt name in secret_params (or optional_params) would leave the real secret unmasked: each must name a param. */
function checkSecretParams(rule: RuleDefinition, report: Report): void {
  for (const list of ['secret_params', 'optional_params'] as const)
    rule[list].forEach((name, i) => {
      if (!(name in rule.params))
        report(
          [list, i],
          `${list}: ${name} is not a param of this rule (params: ${Object.keys(rule.params).join(', ') || 'none'})`,
        );
    });
}

/** A change block belongs on change_request rules, behind the `change` gate; its rollback steps are steps like any other. */
function checkChangePlan(table: string, rule: RuleDefinition, catalog: MappingCatalog, report: Report): void {
  if (!rule.change) return;
  if (table !== 'change_request')
    report(['change'], `a change block only applies to change_request rules, not ${table}`);
  if (!rule.gates.includes('change'))
    report(
      ['gates'],
      'a rule with a change block must list the change gate (gates: [change]); without it nothing checks approval or window',
    );
  checkSteps(table, rule.change.rollback, ['change', 'rollback'], catalog, report);
  // A rollback runs at once, without gates: there is no approval a credential could follow.
  rule.change.rollback.forEach((step, i) => {
    if (step.privileged)
      report(
        ['change', 'rollback', i, 'privileged'],
        'a rollback step cannot be privileged: rollback steps run without gates, so no approval precedes the checkout',
      );
  });
}

function checkSteps(
  table: string,
  steps: ResolvedRule['steps'],
  at: PropertyKey[],
  catalog: MappingCatalog,
  outer: Report,
  ruleGates: readonly string[] = [],
): void {
  const report: Report = (path, message, offset) => outer([...at, ...path.slice(1)], message, offset);
  const seen = new Set<string>();
  steps.forEach((step, i) => {
    if (seen.has(step.name)) report(['steps', i, 'name'], `step name ${step.name} is used twice`);
    seen.add(step.name);
    step.gates.forEach((gate, g) => checkGateName(gate, ['steps', i, 'gates', g], catalog, report));
    checkAction(step.use, step.with, ['steps', i], catalog, report);
    // A compensation is an action like any other: a typo must fail here, not when a rollback is needed.
    if (step.compensate)
      checkAction(step.compensate.use, step.compensate.with, ['steps', i, 'compensate'], catalog, report);
    step.requires?.forEach((requirement, r) =>
      checkRequirement(table, steps, i, requirement, ['steps', i, 'requires', r], catalog, report),
    );
  });
  checkPrivilegedSteps(steps, ruleGates, report);
}

/** A misspelt gate would wait for a gate nobody answers: name the nearest known one. */
function checkGateName(gate: string, at: PropertyKey[], catalog: MappingCatalog, report: Report): void {
  const known = catalog.gateNames;
  if (!known || known.includes(gate)) return;
  report(at, `unknown gate ${gate}${didYouMean(gate, known)} (gates: ${known.join(', ')})`);
}

/**
 * A privileged step names the credential it checks out, and a person approves it first: the
 * `approval` gate is in the step's own gates, or — for a step of the first stage, which is asked the
 * rule's gates too — in the rule's. The worker checks the recorded approval again before checkout.
 */
function checkPrivilegedSteps(steps: ResolvedRule['steps'], ruleGates: readonly string[], report: Report): void {
  steps.forEach((step, i) => {
    if (!step.privileged) {
      if (step.credential !== undefined)
        report(
          ['steps', i, 'credential'],
          'credential is only checked out for a privileged step (add privileged: true)',
        );
      return;
    }
    if (step.credential === undefined)
      report(['steps', i, 'privileged'], 'a privileged step needs credential: <name under privilege.credentials>');
    const firstStage = i === 0 || (step.parallel !== undefined && step.parallel === steps[0]?.parallel);
    const approved = step.gates.includes(APPROVAL_GATE) || (firstStage && ruleGates.includes(APPROVAL_GATE));
    if (!approved)
      report(
        ['steps', i, 'gates'],
        `a privileged step must pass the ${APPROVAL_GATE} gate first (gates: [${APPROVAL_GATE}])`,
      );
  });
}

/** A milestone check reads a step that has finished by then (an earlier one, not a parallel branch) or existing ticket fields. */
function checkRequirement(
  table: string,
  steps: ResolvedRule['steps'],
  index: number,
  requirement: StepRequirement,
  at: PropertyKey[],
  catalog: MappingCatalog,
  report: Report,
): void {
  const step = steps[index]!;
  if (requirement.step !== undefined) {
    const target = steps.findIndex((s) => s.name === requirement.step);
    if (target === -1) report([...at, 'step'], `requires: ${requirement.step} is not a step of this list`);
    else if (target >= index) report([...at, 'step'], `requires: ${requirement.step} does not run before ${step.name}`);
    else if (step.parallel !== undefined && steps[target]!.parallel === step.parallel)
      report(
        [...at, 'step'],
        `requires: ${requirement.step} runs alongside ${step.name} (parallel group ${step.parallel}), not before it`,
      );
  }
  if (requirement.result !== undefined) {
    for (const p of parseEncodedQuery(requirement.result).problems)
      report([...at, 'result'], `requires: ${p.message} (${JSON.stringify(p.text)})`, p.offset);
  }
  if (requirement.record !== undefined) {
    const { query, problems } = parseEncodedQuery(requirement.record);
    for (const p of problems) report([...at, 'record'], `requires: ${p.message} (${JSON.stringify(p.text)})`, p.offset);
    for (const term of termsOf(query))
      if (!catalog.fieldExists(table, term.field))
        report([...at, 'record'], `requires: unknown field ${term.field} on table ${table}`, term.offset);
  }
}

/** The connector and action exist, and the literal parameters fit the action's own schema. */
function checkAction(
  use: string,
  values: Record<string, TemplateValue>,
  at: PropertyKey[],
  catalog: MappingCatalog,
  report: Report,
): void {
  const [connector = '', actionName = ''] = use.split('.');
  if (!catalog.connectorExists(connector)) return report([...at, 'use'], `unknown connector ${connector}`);
  const action = catalog.action(connector, actionName);
  if (!action) return report([...at, 'use'], `connector ${connector} has no action ${actionName}`);
  const shape = action.params instanceof z.ZodObject ? (action.params.shape as Record<string, z.ZodType>) : undefined;
  if (!shape) return;
  for (const [key, value] of Object.entries(values)) {
    if (!(key in shape))
      report([...at, 'with', key], `${use} has no parameter ${key} (it takes ${Object.keys(shape).join(', ')})`);
    else if (!containsTemplate(value)) {
      // A value with no template is known now: check it against the action's own schema.
      const checked = shape[key]!.safeParse(value);
      if (!checked.success)
        report(
          [...at, 'with', key],
          `${use} parameter ${key}: ${checked.error.issues.map((issue) => `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message.replace(/^Invalid input: /, '')}`).join('; ')}`,
        );
    }
  }
  for (const [key, schema] of Object.entries(shape)) {
    if (!(key in values) && !schema.safeParse(undefined).success)
      report([...at, 'with'], `${use} needs parameter ${key}`);
  }
}

function checkTemplates(
  table: string,
  rule: ResolvedRule,
  catalog: MappingCatalog,
  report: Report,
  only: { skipSteps?: boolean; stepsOnly?: boolean } = {},
): void {
  const params = new Set(Object.keys(rule.params));
  const steps = new Set(rule.steps.map((s) => s.name));
  const check = (
    path: PropertyKey[],
    value: TemplateValue,
    scope: { params: boolean; writeback: boolean; credential?: boolean },
  ) =>
    forEachString(value, path, (text, at) => {
      const syntax = templateSyntaxProblem(text);
      if (syntax) return report(at, `template: ${syntax}`);
      for (const variable of variablesOf(text)) {
        const problem = variableProblem(variable, table, catalog, {
          params: scope.params ? params : undefined,
          steps,
          writeback: scope.writeback,
          credential: scope.credential,
        });
        if (problem) report(at, `template: ${problem}`);
      }
    });
  if (!only.stepsOnly)
    for (const [name, value] of Object.entries(rule.params))
      check(['params', name], value, { params: false, writeback: false });
  if (!only.skipSteps)
    rule.steps.forEach((step, i) =>
      check(['steps', i, 'with'], step.with, { params: true, writeback: false, credential: step.privileged === true }),
    );
  const key = rule.concurrency?.key;
  if (key !== undefined) {
    check(['concurrency', 'key'], key, { params: true, writeback: false });
    // The key is rendered when the run is created, before any step has a result or the run an id worth keying on.
    if (variablesOf(key).some((v) => ['steps', 'run'].includes(v.split('.')[0]!)))
      report(
        ['concurrency', 'key'],
        'concurrency.key is rendered when the run is created: it may read ticket, params, rule and command, not steps or run',
      );
  }
  for (const outcome of ['success', 'failure', 'waiting_approval'] as const) {
    const wb = rule.writeback[outcome];
    if (!wb) continue;
    if (wb.attach_output && !steps.has(wb.attach_output.step))
      report(
        ['writeback', outcome, 'attach_output', 'step'],
        `attach_output: ${wb.attach_output.step} is not a step of this rule`,
      );
    if (wb.work_note) check(['writeback', outcome, 'work_note'], wb.work_note, { params: true, writeback: true });
    for (const [field, value] of Object.entries(wb.fields)) {
      if (!catalog.fieldExists(table, field))
        report(['writeback', outcome, 'fields', field], `unknown field ${field} on table ${table}`);
      check(['writeback', outcome, 'fields', field], value, { params: true, writeback: true });
    }
  }
}

function variableProblem(
  variable: string,
  table: string,
  catalog: MappingCatalog,
  known: { params?: Set<string>; steps: Set<string>; writeback: boolean; credential?: boolean },
): string | undefined {
  const [root = '', name] = variable.split('.');
  if (!(root in TEMPLATE_ROOTS))
    return `unknown variable ${root} (use one of ${Object.keys(TEMPLATE_ROOTS).join(', ')})`;
  if (root === 'ticket' && name && !catalog.fieldExists(table, name))
    return `unknown field ticket.${name} on table ${table}`;
  if (root === 'params' && name && !known.params) return 'params cannot refer to params';
  if (root === 'params' && name && known.params && !known.params.has(name))
    return `params.${name} is not defined in this rule`;
  if (root === 'steps' && name && !known.steps.has(name)) return `steps.${name} is not a step of this rule`;
  if ((root === 'outcome' || root === 'error') && !known.writeback) return `${root} is only known in write-backs`;
  if (root === 'credential' && !known.credential) return 'credential is only known in the with of a privileged step';
  if (root === 'command' && name && !['name', 'user', 'args'].includes(name))
    return `command.${name} is unknown (use command.name, command.user or command.args.<key>)`;
  return undefined;
}

function containsTemplate(value: TemplateValue): boolean {
  let found = false;
  forEachString(value, [], (text) => (found ||= text.includes('{{') || text.includes('{%')));
  return found;
}

function forEachString(
  value: TemplateValue,
  path: PropertyKey[],
  fn: (text: string, path: PropertyKey[]) => void,
): void {
  if (typeof value === 'string') fn(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => forEachString(v, [...path, i], fn));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) forEachString(v, [...path, k], fn);
}
