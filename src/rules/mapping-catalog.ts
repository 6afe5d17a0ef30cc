import type { ActionSpec } from '../../connectors/connector';
import type { TemplateDefinition } from './mapping.schema';

/**
 * What a mapping table may refer to, handed to the validator so it stays pure: which ticket fields
 * exist on each table, and which connector actions exist with which parameter schemas.
 */
export interface MappingCatalog {
  fieldExists(table: string, field: string): boolean;
  action(connector: string, action: string): ActionSpec | undefined;
  connectorExists(connector: string): boolean;
  /** Gates rules and steps may name; unset = not checked (a catalog for a partial check). */
  gateNames?: readonly string[];
  /** A reusable component of mappings/templates/ by name. */
  template(name: string): TemplateDefinition | undefined;
  /** The same catalog with the templates of the set being loaded. */
  withTemplates(templates: ReadonlyMap<string, TemplateDefinition>): MappingCatalog;
}

/** Template roots a rule may read, and what each holds. */
export const TEMPLATE_ROOTS = {
  ticket: 'the event record (raw string values)',
  params: "the rule's rendered params",
  rule: 'id, description, owner, risk, version',
  run: 'id',
  command: 'the work-note command: name, user, args (key=value pairs typed after the command)',
  steps: 'results of earlier steps by name',
  outcome: 'succeeded | failed (write-back only)',
  error: 'the failure message (write-back only)',
  credential:
    "the credential checked out for a privileged step: its fields, e.g. credential.password (that step's `with` only)",
  failure: 'the run that failed: run_id, rule, step, error (on_failure steps only)',
} as const;
