/** Checks of the templates a rule renders (params, step parameters, concurrency key) and of its write-backs. */
import type { ResolvedRule, TemplateValue } from './mapping.schema';
import type { MappingCatalog } from './mapping-catalog';
import { TEMPLATE_ROOTS } from './mapping-catalog';
import { templateSyntaxProblem, variablesOf } from './template';
import type { Report } from './validation-problem';

export function checkTemplates(
  table: string,
  rule: ResolvedRule,
  catalog: MappingCatalog,
  report: Report,
  only: { skipSteps?: boolean; stepsOnly?: boolean; failure?: boolean } = {},
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
          failure: only.failure,
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
  known: { params?: Set<string>; steps: Set<string>; writeback: boolean; credential?: boolean; failure?: boolean },
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
  if (root === 'failure' && !known.failure) return 'failure is only known in on_failure steps';
  if (root === 'failure' && name && !['run_id', 'rule', 'step', 'error'].includes(name))
    return `failure.${name} is unknown (use failure.run_id, failure.rule, failure.step or failure.error)`;
  if (root === 'command' && name && !['name', 'user', 'args'].includes(name))
    return `command.${name} is unknown (use command.name, command.user or command.args.<key>)`;
  return undefined;
}

export function containsTemplate(value: TemplateValue): boolean {
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
