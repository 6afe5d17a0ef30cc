import type { ConnectorDescriptor } from '../../connectors/connector';
import { fieldOf } from '../../connectors/servicenow/dictionary';
import type { MappingCatalog } from './mapping-catalog';

/** The catalog of the shipped ServiceNow table model and the registered connectors. */
export function mappingCatalog(connectors: Record<string, ConnectorDescriptor>): MappingCatalog {
  return {
    fieldExists: (table, field) => fieldOf(table, field) !== undefined,
    connectorExists: (name) => name in connectors,
    action: (connector, action) => connectors[connector]?.actions[action],
  };
}
