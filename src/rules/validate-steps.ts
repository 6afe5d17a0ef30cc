/** Checks of step lists (plan, rollback, on_failure): names, gates, actions and their parameters, privilege, milestones. */
import { z } from 'zod';
import { parseEncodedQuery, termsOf } from './encoded-query';
import { didYouMean } from './suggestion';
import type { ResolvedRule, RuleDefinition, StepRequirement, TemplateValue } from './mapping.schema';
import type { MappingCatalog } from './mapping-catalog';
import type { Report } from './validation-problem';
import { APPROVAL_GATE } from './catalog';
import { containsTemplate } from './validate-templates';

/** A change block belongs on change_request rules, behind the `change` gate; its rollback steps are steps like any other. */
export function checkChangePlan(table: string, rule: RuleDefinition, catalog: MappingCatalog, report: Report): void {
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

export function checkSteps(
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
export function checkGateName(gate: string, at: PropertyKey[], catalog: MappingCatalog, report: Report): void {
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
