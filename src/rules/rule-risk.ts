import type { RiskLevel } from '../../connectors/connector';
import type { MappingCatalog } from './mapping-catalog';
import type { StepDefinition } from './mapping.schema';

const ORDER: readonly RiskLevel[] = ['low', 'medium', 'high'];

/** The higher of two risk levels. */
export function higherRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
}

/**
 * A rule is as risky as the riskiest action it can run (its steps and their compensations) and its
 * own label, whichever is higher: a label cannot talk a "Revoke user access" rule down to low and
 * past the second approver. An action that declares no risk (a test double) counts as medium; every
 * shipped action declares one.
 */
export function effectiveRisk(label: RiskLevel, steps: readonly StepDefinition[], catalog: MappingCatalog): RiskLevel {
  let risk = label;
  for (const step of steps)
    for (const use of [step, step.compensate].filter((u) => u !== undefined)) {
      const [connector, action] = use.use.split('.') as [string, string];
      const spec = catalog.action(connector, action);
      const declared = typeof spec?.risk === 'function' ? spec.risk(use.with) : (spec?.risk ?? 'medium');
      risk = higherRisk(risk, declared);
    }
  return risk;
}
