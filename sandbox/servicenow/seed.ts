import { getTable, tableNames } from '../../connectors/servicenow/dictionary';
import { seedSysId } from './glide-values';
import { newRecord, type WriteStamp } from './new-record';
import { seedStandardChanges } from './seed-standard-changes';
import type { RecordStore } from './record-store';

/** Seed rows carry this stamp, so every fresh sandbox is identical. */
const SEED_STAMP: WriteStamp = { user: 'admin', on: '2025-01-01 00:00:00' };

/** The base system's administrator keeps its well-known sys_id. */
const ADMIN_SYS_ID = '6816f79cc0a8016401c5a33be04be441';

type SeedUser = { user_name: string; first_name: string; last_name: string; title: string; department: string };

const USERS: SeedUser[] = [
  {
    user_name: 'admin',
    first_name: 'System',
    last_name: 'Administrator',
    title: 'System Administrator',
    department: 'IT',
  },
  { user_name: 'abel.tuter', first_name: 'Abel', last_name: 'Tuter', title: 'Service Desk Agent', department: 'IT' },
  { user_name: 'beth.anglin', first_name: 'Beth', last_name: 'Anglin', title: 'Linux Engineer', department: 'IT' },
  { user_name: 'david.loo', first_name: 'David', last_name: 'Loo', title: 'Change Manager', department: 'IT' },
  {
    user_name: 'fred.luddy',
    first_name: 'Fred',
    last_name: 'Luddy',
    title: 'Database Administrator',
    department: 'IT',
  },
  { user_name: 'itil', first_name: 'ITIL', last_name: 'User', title: 'ITIL User', department: 'IT' },
];

/** Groups with their manager and members (user names). */
const GROUPS = [
  { name: 'Service Desk', manager: 'abel.tuter', members: ['abel.tuter', 'itil'] },
  { name: 'Linux Ops', manager: 'beth.anglin', members: ['beth.anglin', 'admin'] },
  { name: 'Change Management', manager: 'david.loo', members: ['david.loo', 'admin'] },
  { name: 'Database', manager: 'fred.luddy', members: ['fred.luddy'] },
];

const SERVERS = [
  {
    name: 'web-01',
    ip_address: '10.0.1.11',
    mac_address: '00:50:56:01:00:11',
    serial_number: 'VMW-7A1C-0011',
    group: 'Linux Ops',
  },
  {
    name: 'web-02',
    ip_address: '10.0.1.12',
    mac_address: '00:50:56:01:00:12',
    serial_number: 'VMW-7A1C-0012',
    group: 'Linux Ops',
  },
  {
    name: 'db-01',
    ip_address: '10.0.2.21',
    mac_address: '00:50:56:02:00:21',
    serial_number: 'VMW-7A1C-0021',
    group: 'Database',
  },
];

const REL_TYPES = [
  ['Depends on::Used by', 'Depends on', 'Used by'],
  ['Runs on::Runs', 'Runs on', 'Runs'],
  ['IP Connection::IP Connection', 'IP Connection', 'IP Connection'],
] as const;

/** Relations as [parent, type, child]. */
const RELATIONS = [
  ['Online Shop', 'Depends on::Used by', 'web-01'],
  ['Online Shop', 'Depends on::Used by', 'web-02'],
  ['web-01', 'Depends on::Used by', 'db-01'],
  ['web-02', 'Depends on::Used by', 'db-01'],
] as const;

const userId = (userName: string) => (userName === 'admin' ? ADMIN_SYS_ID : seedSysId(`sys_user:${userName}`));
const departmentId = (name: string) => seedSysId(`cmn_department:${name}`);
const DEPARTMENTS = ['IT', 'Finance', 'Human Resources'];
const groupId = (name: string) => seedSysId(`sys_user_group:${name}`);
const ciId = (name: string) => seedSysId(`cmdb_ci:${name}`);
const relTypeId = (name: string) => seedSysId(`cmdb_rel_type:${name}`);

/**
 * Fills an empty store with the sandbox's base data: departments, users (`admin` and a few ITIL users, plus the
 * configured sandbox user), groups, the CIs web-01, web-02 and db-01 with a business service and
 * their relations, and `sys_choice` rows for every choice field of the model. Sys_ids are derived
 * from names, so they are the same on every start.
 */
export function seedInstance(store: RecordStore, sandboxUser: string): void {
  const put = (table: string, id: string, values: Record<string, string>) =>
    store.put(newRecord(table, values, SEED_STAMP, id));
  const users = USERS.some((u) => u.user_name === sandboxUser)
    ? USERS
    : [
        ...USERS,
        {
          user_name: sandboxUser,
          first_name: 'Sandbox',
          last_name: 'User',
          title: 'Integration user',
          department: 'IT',
        },
      ];
  for (const name of DEPARTMENTS) put('cmn_department', departmentId(name), { name, id: name.toUpperCase() });
  for (const u of users) {
    put('sys_user', userId(u.user_name), {
      ...u,
      department: departmentId(u.department),
      name: `${u.first_name} ${u.last_name}`,
      email: `${u.user_name}@example.com`,
      time_zone: 'GMT',
    });
  }
  for (const g of GROUPS) {
    put('sys_user_group', groupId(g.name), {
      name: g.name,
      manager: userId(g.manager),
      email: `${g.name.toLowerCase().replace(/ /g, '.')}@example.com`,
    });
    for (const member of g.members) {
      put('sys_user_grmember', seedSysId(`sys_user_grmember:${g.name}:${member}`), {
        user: userId(member),
        group: groupId(g.name),
      });
    }
  }
  seedCmdb(put);
  seedStandardChanges(put);
  seedChoices(put);
}

type Put = (table: string, id: string, values: Record<string, string>) => void;

function seedCmdb(put: Put): void {
  for (const s of SERVERS) {
    put('cmdb_ci_linux_server', ciId(s.name), {
      name: s.name,
      ip_address: s.ip_address,
      mac_address: s.mac_address,
      serial_number: s.serial_number,
      host_name: s.name,
      fqdn: `${s.name}.sandbox.example.com`,
      os: 'Linux Red Hat',
      os_version: '9.4',
      cpu_count: '4',
      ram: '16384',
      environment: 'Production',
      discovery_source: 'ServiceNow',
      support_group: groupId(s.group),
      assignment_group: groupId(s.group),
      manufacturer: 'VMware, Inc.',
    });
  }
  put('cmdb_ci_service', ciId('Online Shop'), {
    name: 'Online Shop',
    environment: 'Production',
    used_for: 'Production',
    busines_criticality: '1 - most critical',
    support_group: groupId('Linux Ops'),
  });
  for (const [name, parent, child] of REL_TYPES) {
    put('cmdb_rel_type', relTypeId(name), { name, parent_descriptor: parent, child_descriptor: child });
  }
  for (const [parent, type, child] of RELATIONS) {
    put('cmdb_rel_ci', seedSysId(`cmdb_rel_ci:${parent}:${type}:${child}`), {
      parent: ciId(parent),
      type: relTypeId(type),
      child: ciId(child),
    });
  }
}

/** docs/servicenow-behaviour.md §3.2: clients should read choices from sys_choice rather than hard-code them. */
function seedChoices(put: Put): void {
  for (const table of tableNames()) {
    for (const field of getTable(table)?.fields ?? []) {
      for (const [index, c] of (field.choices ?? []).entries()) {
        const values = {
          name: table,
          element: field.name,
          value: c.value,
          label: c.label,
          sequence: String(index + 1),
        };
        put('sys_choice', seedSysId(`sys_choice:${table}:${field.name}:${c.value}`), values);
      }
    }
  }
}
