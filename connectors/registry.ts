import type { ConnectorDescriptor } from './connector';
import { ansibleConnector, ansibleLocalConnector } from './ansible';
import { cmdbConnector } from './cmdb';
import { httpConnector } from './http';
import { notifyConnector } from './notify';
import { servicenowConnector } from './servicenow';

/** Every connector Snowline knows, by name. Adding one = its folder + one line here. */
export const connectors: Record<string, ConnectorDescriptor> = {
  servicenow: servicenowConnector,
  ansible: ansibleConnector,
  ansible_local: ansibleLocalConnector,
  http: httpConnector,
  cmdb: cmdbConnector,
  notify: notifyConnector,
};
