import { z } from 'zod';
import {
  mappingFileSchema,
  templateFileSchema,
  type MappingFile,
  type ResolvedRule,
  type RuleDefinition,
  type TemplateDefinition,
  type TemplateValue,
} from './mapping.schema';
import type { MappingCatalog } from './mapping-catalog';
import { effectiveRisk, higherRisk } from './rule-risk';
import type { MappingProblem, Report } from './validation-problem';
import { parsePositionedYaml, type PositionedYaml } from './yaml-positions';
import { checkCondition, checkSecretParams, checkTriggers } from './validate-rule-checks';
import { checkChangePlan, checkGateName, checkSteps } from './validate-steps';
import { checkTemplates } from './validate-templates';

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
    if (rule.use)
      return checkFailureSteps(
        mapping.table,
        resolveTemplateUse(mapping.table, rule, catalog, report),
        catalog,
        report,
      );
    const resolved: ResolvedRule = {
      ...rule,
      risk: effectiveRisk(rule.risk, rule.steps!, catalog),
      declared_risk: rule.risk,
      steps: rule.steps!,
    };
    checkSteps(mapping.table, resolved.steps, ['steps'], catalog, report, rule.gates);
    checkChangePlan(mapping.table, rule, catalog, report);
    checkTemplates(mapping.table, resolved, catalog, report);
    return checkFailureSteps(mapping.table, resolved, catalog, report);
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

/**
 * `on_failure` steps are steps like any other, run at once when a run fails: no gate can hold them
 * (nobody is asked to approve a notification), and their templates may read `failure`.
 */
function checkFailureSteps(
  table: string,
  rule: ResolvedRule | undefined,
  catalog: MappingCatalog,
  report: Report,
): ResolvedRule | undefined {
  if (!rule?.on_failure) return rule;
  checkSteps(table, rule.on_failure, ['on_failure'], catalog, report);
  rule.on_failure.forEach((step, i) => {
    if (step.gates.length > 0 || step.privileged)
      report(
        ['on_failure', i, step.privileged ? 'privileged' : 'gates'],
        'on_failure steps run at once: no gates, not privileged',
      );
  });
  const asRule: ResolvedRule = { ...rule, steps: rule.on_failure, writeback: {}, concurrency: undefined };
  const rename: Report = (path, message, offset) =>
    report(path[0] === 'steps' ? ['on_failure', ...path.slice(1)] : path, message, offset);
  checkTemplates(table, asRule, catalog, rename, { stepsOnly: true, failure: true });
  return rule;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union') {
    // The branch whose shape the value took (its problems are inside it) says what is wrong.
    const shaped = issue.errors
      .filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0))
      .sort((a, b) => a.length - b.length)[0];
    if (shaped) return describeIssue({ ...shaped[0]!, path: [...issue.path, ...shaped[0]!.path] } as z.core.$ZodIssue);
    if (issue.path.at(-2) === 'on')
      return `${issue.path.join('.')}: a trigger is inserted, updated, manual, { changes: [fields] or { field: value } }, { command: name, allowed_groups: [groups] }, { manual: true, allowed_groups: [groups] } or { schedule: { cron, query } }`;
  }
  const where = issue.path.length ? issue.path.join('.') : 'file';
  if (issue.code === 'unrecognized_keys') return `${where}: unknown key(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `${where}: required`;
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
}
