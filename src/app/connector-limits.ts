import type { ConnectorLimitsOverride } from '../../connectors/endpoint-limits';
import type { Config } from '../config';

/**
 * The limits each connector's config section sets (`maxConcurrent`, `requestsPerHour`), by
 * connector name; what a section leaves out falls back to the connector's declared defaults.
 * Notification channels carry their own limits per channel (connectors/notify).
 */
export function configuredConnectorLimits(config: Config): Record<string, ConnectorLimitsOverride | undefined> {
  const { http, ansible_local: local, cmdb } = config.connectors;
  const limitsOf = (section?: ConnectorLimitsOverride) =>
    section && { maxConcurrent: section.maxConcurrent, requestsPerHour: section.requestsPerHour };
  return {
    servicenow: limitsOf(config.servicenow),
    ansible: limitsOf(config.awx),
    http: limitsOf(http),
    ansible_local: limitsOf(local),
    cmdb: limitsOf(cmdb),
  };
}
