import type { MappingCatalog } from './mapping-catalog';
import type { StepDefinition } from './mapping.schema';
import { validateMappingFile } from './validate-mapping';

const PLACEHOLDER_RULE = 'config-on-failure';

/**
 * The configured default `on_failure` steps (`engine.onFailure`), checked as a rule's would be —
 * actions, parameters, templates (`failure.*` included, ticket fields of an incident) — so a typo
 * stops start-up rather than the first failure's notification. Problems name `engine.onFailure`.
 */
export function defaultOnFailureProblems(steps: readonly StepDefinition[], catalog: MappingCatalog): string[] {
  if (steps.length === 0) return [];
  const mapping = {
    table: 'incident',
    rules: [
      {
        id: PLACEHOLDER_RULE,
        description: 'engine.onFailure',
        owner: 'configuration',
        risk: 'low',
        on: ['manual'],
        steps: [
          {
            name: 'placeholder',
            use: 'servicenow.add_work_note',
            with: { table: 'incident', sys_id: '{{ ticket.sys_id }}', text: 'x' },
          },
        ],
        on_failure: steps,
      },
    ],
  };
  return validateMappingFile('engine.onFailure', JSON.stringify(mapping), catalog).problems.map(
    (p) => `engine.onFailure: ${p.message.replace(`rule ${PLACEHOLDER_RULE}: `, '')}`,
  );
}
