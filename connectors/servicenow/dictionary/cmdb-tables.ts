/** docs/servicenow-behaviour.md §4.1: the CMDB classes and their relationships. */
import { bool, choice, dateTime, int, ref, sameValueChoices, str, table, type FieldSpec } from './model';

/** docs/servicenow-behaviour.md §4.1: the base CI class. The "common fields" of §4.1 all live here. */
const CMDB_CI = table({
  name: 'cmdb_ci',
  label: 'Configuration Item',
  displayField: 'name',
  fields: {
    name: str('Name'),
    short_description: str('Description'),
    asset_tag: str('Asset tag'),
    serial_number: str('Serial number'),
    ip_address: str('IP Address'),
    mac_address: str('MAC Address'),
    fqdn: str('Fully qualified domain name'),
    host_name: str('Host name'),
    os: str('Operating System'),
    os_version: str('OS Version'),
    install_status: choice(
      'Status',
      [
        ['0', 'Implementing'],
        ['1', 'Installed'],
        ['2', 'On Order'],
        ['3', 'In Maintenance'],
        ['4', 'Pending Install'],
        ['5', 'Pending Repair'],
        ['6', 'In Stock'],
        ['7', 'Retired'],
        ['8', 'Stolen'],
        ['100', 'Absent'],
      ],
      '1',
    ),
    operational_status: choice(
      'Operational status',
      [
        ['1', 'Operational'],
        ['2', 'Non-Operational'],
        ['3', 'Repair in Progress'],
        ['4', 'DR Standby'],
        ['5', 'Ready'],
        ['6', 'Retired'],
        ['7', 'Pipeline'],
        ['8', 'Catalog'],
      ],
      '1',
    ),
    environment: choice('Environment', sameValueChoices(['Development', 'Production', 'Test'])),
    discovery_source: choice(
      'Discovery source',
      sameValueChoices(['ServiceNow', 'ManualEntry', 'ImportSet', 'SCCM', 'Other']),
    ),
    // When a discovery source last saw the CI; CMDB syncs stamp it and mark CIs stale by it.
    last_discovered: dateTime('Most recent discovery'),
    managed_by: ref('Managed by', 'sys_user'),
    support_group: ref('Support group', 'sys_user_group'),
    assignment_group: ref('Assignment group', 'sys_user_group'),
    // cmn_schedule is not modelled; the sandbox keeps the schedule's name.
    maintenance_schedule: str('Maintenance schedule'),
    // Further base columns every class inherits (a Table API read shows each, "" when unset).
    category: str('Category'),
    subcategory: str('Subcategory'),
    company: str('Company'),
    location: str('Location'),
    department: ref('Department', 'cmn_department'),
    owned_by: ref('Owned by', 'sys_user'),
    managed_by_group: ref('Managed by Group', 'sys_user_group'),
    assigned_to: ref('Assigned to', 'sys_user'),
    vendor: str('Vendor'),
    model_id: str('Model ID'),
    correlation_id: str('Correlation ID'),
    comments: str('Comments'),
    install_date: dateTime('Installed'),
    first_discovered: dateTime('First discovered'),
    due_in: str('Due in'),
    attributes: str('Attributes'),
    unverified: bool('Requires verification'),
    skip_sync: bool('Skip sync'),
  },
});

const ciClass = (name: string, label: string, parent: string, fields: Record<string, FieldSpec> = {}) =>
  table({ name, label, parent, fields });

const CMDB_CLASSES = [
  ciClass('cmdb_ci_hardware', 'Hardware', 'cmdb_ci', {
    manufacturer: str('Manufacturer'),
    model_number: str('Model number'),
  }),
  ciClass('cmdb_ci_computer', 'Computer', 'cmdb_ci_hardware', {
    cpu_count: int('CPU count'),
    ram: int('RAM (MB)'),
    disk_space: int('Disk space (GB)'),
  }),
  ciClass('cmdb_ci_server', 'Server', 'cmdb_ci_computer', {
    classification: str('Classification', 'Production'),
    virtual: bool('Is virtual'),
    firewall_status: str('Firewall status', 'Intranet'),
  }),
  ciClass('cmdb_ci_unix_server', 'UNIX Server', 'cmdb_ci_server'),
  ciClass('cmdb_ci_linux_server', 'Linux Server', 'cmdb_ci_unix_server'),
  ciClass('cmdb_ci_win_server', 'Windows Server', 'cmdb_ci_server'),
  ciClass('cmdb_ci_esx_server', 'ESX Server', 'cmdb_ci_server'),
  ciClass('cmdb_ci_vm_instance', 'Virtual Machine Instance', 'cmdb_ci', {
    object_id: str('Object ID'),
    vcpus: int('vCPUs'),
    memory: int('Memory (MB)'),
    state: choice('State', [
      ['on', 'On'],
      ['off', 'Off'],
      ['paused', 'Paused'],
      ['terminated', 'Terminated'],
    ]),
  }),
  ciClass('cmdb_ci_vmware_instance', 'VMware Virtual Machine Instance', 'cmdb_ci_vm_instance', {
    guest_os: str('Guest OS'),
    template: bool('Template'),
  }),
  // Cloud discovery's EC2 instances (Service Graph Connector for AWS) [inf: the AWS-specific columns].
  ciClass('cmdb_ci_ec2_instance', 'EC2 Instance', 'cmdb_ci_vm_instance', {
    instance_type: str('Instance type'),
    image_id: str('Image ID'),
    placement_group: str('Placement group'),
  }),
  ciClass('cmdb_ci_cloud_service_account', 'Cloud Service Account', 'cmdb_ci', {
    account_id: str('Account ID'),
    datacenter_type: str('Datacenter type'),
  }),
  ciClass('cmdb_ci_logical_datacenter', 'Logical Datacenter', 'cmdb_ci', { region: str('Region') }),
  ciClass('cmdb_ci_aws_datacenter', 'AWS Datacenter', 'cmdb_ci_logical_datacenter'),
  ciClass('cmdb_ci_network_adapter', 'Network Adapter', 'cmdb_ci', { netmask: str('Netmask') }),
  ciClass('cmdb_ci_appl', 'Application', 'cmdb_ci', {
    version: str('Version'),
    used_for: choice('Used for', sameValueChoices(['Production', 'Staging', 'QA', 'Development'])),
    running_process_command: str('Running process command'),
    tcp_port: str('TCP port(s)'),
  }),
  ciClass('cmdb_ci_app_server', 'Application Server', 'cmdb_ci_appl', { install_directory: str('Install directory') }),
  ciClass('cmdb_ci_app_server_tomcat', 'Tomcat', 'cmdb_ci_app_server'),
  ciClass('cmdb_ci_db_instance', 'Database Instance', 'cmdb_ci_appl', { instance_name: str('Instance name') }),
  ciClass('cmdb_ci_db_pg_instance', 'PostgreSQL Instance', 'cmdb_ci_db_instance'),
  ciClass('cmdb_ci_service', 'Business Service', 'cmdb_ci', {
    busines_criticality: choice(
      'Business criticality',
      sameValueChoices(['1 - most critical', '2 - somewhat critical', '3 - less critical', '4 - not critical']),
    ),
    used_for: choice('Used for', sameValueChoices(['Production', 'Staging', 'QA', 'Development'])),
  }),
];

const CMDB_REL_TYPE = table({
  name: 'cmdb_rel_type',
  label: 'CI Relationship Type',
  displayField: 'name',
  fields: { name: str('Name'), parent_descriptor: str('Parent descriptor'), child_descriptor: str('Child descriptor') },
});

const CMDB_REL_CI = table({
  name: 'cmdb_rel_ci',
  label: 'CI Relationship',
  fields: { parent: ref('Parent', 'cmdb_ci'), child: ref('Child', 'cmdb_ci'), type: ref('Type', 'cmdb_rel_type') },
});

export const CMDB_TABLES = [CMDB_CI, ...CMDB_CLASSES, CMDB_REL_TYPE, CMDB_REL_CI];
