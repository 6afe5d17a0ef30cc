import type { ConnectorDescriptor } from '../../connectors/connector';
import { fieldOf, type FieldDef } from '../../connectors/servicenow/dictionary';
import type { MappingCatalog } from './mapping-catalog';
import type { TemplateDefinition } from './mapping.schema';

/**
 * Whether a field path exists on a table: `caller_id.email` walks the reference `caller_id` into
 * sys_user and checks `email` there. Every segment but the last must be a reference field.
 */
export function fieldPathExists(table: string, path: string): boolean {
  const segments = path.split('.');
  let current: string | undefined = table;
  for (let i = 0; i < segments.length; i++) {
    const field: FieldDef | undefined = current ? fieldOf(current, segments[i]!) : undefined;
    if (!field) return false;
    if (i < segments.length - 1) current = field.type === 'reference' ? field.reference : undefined;
  }
  return true;
}

/**
 * The gates Snowline registers: the built-in `approval` (engine/gates.ts) and change management's
 * `change`. Written out here because change management depends on the rules, not the other way;
 * a test holds this list equal to the gates app.ts registers.
 */
export const GATE_NAMES = ['approval', 'change'] as const;

/** Name of the built-in manual approval gate (a privileged step must pass it; see validate-mapping.ts). */
export const APPROVAL_GATE: (typeof GATE_NAMES)[number] = 'approval';

/** The catalog of the shipped ServiceNow table model, the registered connectors and the loaded templates. */
export function mappingCatalog(
  connectors: Record<string, ConnectorDescriptor>,
  templates: ReadonlyMap<string, TemplateDefinition> = new Map(),
): MappingCatalog {
  return {
    fieldExists: fieldPathExists,
    connectorExists: (name) => name in connectors,
    action: (connector, action) => connectors[connector]?.actions[action],
    gateNames: GATE_NAMES,
    template: (name) => templates.get(name),
    withTemplates: (loaded) => mappingCatalog(connectors, loaded),
  };
}
