/**
 * The ServiceNow table model that the sandbox, the Table API client and the mapping validator share:
 * which tables exist, which table each extends, their fields with types, choices and defaults, and
 * their number prefixes. Values follow docs/servicenow-reference §1.4 (system fields), §3 (ITSM
 * tables and state models) and §4.1 (CMDB classes). It is a model of the base system, not of any
 * one customer instance: a real instance may add `u_` fields and choices.
 */

/** How a field stores and shows its value (every value travels as a string, §1.4). */
export type FieldType =
  'string' | 'integer' | 'boolean' | 'reference' | 'choice' | 'glide_date_time' | 'journal' | 'sys_id';

/** One stored value of a choice field and the label shown for it. */
export interface Choice {
  value: string;
  label: string;
}

/** One column of a table. */
export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  /** For `reference` fields: the table the sys_id points into. */
  reference?: string;
  /** For `choice` fields, in display order. */
  choices?: readonly Choice[];
  /** The value an insert gets when the field is not supplied; otherwise the empty string. */
  defaultValue?: string;
}

/** One table and what it adds to its parent. */
export interface TableDef {
  name: string;
  label: string;
  /** The table this one extends; its fields and rows are visible through the parent. */
  parent?: string;
  /** `INC` → numbers `INC0010001`, `INC0010002`, … (prefix + 7 digits). */
  numberPrefix?: string;
  /** First number handed out, per the base system's number maintenance. */
  numberStart?: number;
  /** The field whose value stands for a row when it is referenced (`display_value`). */
  displayField?: string;
  /** Values of `state` at which a record is no longer active (`active=false`). */
  inactiveStates?: readonly string[];
  /** Fields this table declares itself; a name the parent has overrides the parent's field. */
  fields: readonly FieldDef[];
}

type FieldSpec = Omit<FieldDef, 'name'>;

const str = (label: string, defaultValue?: string): FieldSpec => ({ label, type: 'string', defaultValue });
const int = (label: string, defaultValue?: string): FieldSpec => ({ label, type: 'integer', defaultValue });
const bool = (label: string, defaultValue = 'false'): FieldSpec => ({ label, type: 'boolean', defaultValue });
const ref = (label: string, reference: string): FieldSpec => ({ label, type: 'reference', reference });
const dateTime = (label: string): FieldSpec => ({ label, type: 'glide_date_time' });
const journal = (label: string): FieldSpec => ({ label, type: 'journal' });
const choice = (label: string, pairs: readonly (readonly [string, string])[], defaultValue?: string): FieldSpec => ({
  label,
  type: 'choice',
  choices: pairs.map(([value, label]) => ({ value, label })),
  defaultValue,
});
/** Choices whose stored value is the label itself (common in base data, e.g. `close_code`). */
const sameValueChoices = (labels: readonly string[]) => labels.map((l) => [l, l] as const);

function table(def: Omit<TableDef, 'fields'> & { fields: Record<string, FieldSpec> }): TableDef {
  return { ...def, fields: Object.entries(def.fields).map(([name, spec]) => ({ name, ...spec })) };
}

const IMPACT = [
  ['1', '1 - High'],
  ['2', '2 - Medium'],
  ['3', '3 - Low'],
] as const;
const PRIORITY = [
  ['1', '1 - Critical'],
  ['2', '2 - High'],
  ['3', '3 - Moderate'],
  ['4', '4 - Low'],
  ['5', '5 - Planning'],
] as const;

/** §3.1: the fields every ticket table inherits. */
const TASK = table({
  name: 'task',
  label: 'Task',
  numberPrefix: 'TASK',
  numberStart: 10001,
  displayField: 'number',
  inactiveStates: ['3', '4', '7'],
  fields: {
    number: str('Number'),
    short_description: str('Short description'),
    description: str('Description'),
    state: choice(
      'State',
      [
        ['-5', 'Pending'],
        ['1', 'Open'],
        ['2', 'Work in Progress'],
        ['3', 'Closed Complete'],
        ['4', 'Closed Incomplete'],
        ['7', 'Closed Skipped'],
      ],
      '1',
    ),
    active: bool('Active', 'true'),
    priority: choice('Priority', PRIORITY, '4'),
    impact: choice('Impact', IMPACT, '3'),
    urgency: choice('Urgency', IMPACT, '3'),
    assignment_group: ref('Assignment group', 'sys_user_group'),
    assigned_to: ref('Assigned to', 'sys_user'),
    opened_by: ref('Opened by', 'sys_user'),
    opened_at: dateTime('Opened'),
    closed_at: dateTime('Closed'),
    closed_by: ref('Closed by', 'sys_user'),
    close_notes: str('Close notes'),
    cmdb_ci: ref('Configuration item', 'cmdb_ci'),
    business_service: ref('Service', 'cmdb_ci_service'),
    // company and location point at core_company / cmn_location, which this model leaves out.
    company: str('Company'),
    location: str('Location'),
    parent: ref('Parent', 'task'),
    watch_list: str('Watch list'),
    work_notes_list: str('Work notes list'),
    approval: choice(
      'Approval',
      [
        ['not requested', 'Not Yet Requested'],
        ['requested', 'Requested'],
        ['approved', 'Approved'],
        ['rejected', 'Rejected'],
      ],
      'not requested',
    ),
    approval_set: dateTime('Approval set'),
    approval_history: journal('Approval history'),
    correlation_id: str('Correlation ID'),
    correlation_display: str('Correlation display'),
    contact_type: choice('Contact type', [
      ['email', 'Email'],
      ['phone', 'Phone'],
      ['self-service', 'Self-service'],
      ['walk-in', 'Walk-in'],
      ['virtual_agent', 'Virtual Agent'],
    ]),
    escalation: choice(
      'Escalation',
      [
        ['0', 'Normal'],
        ['1', 'Moderate'],
        ['2', 'High'],
        ['3', 'Overdue'],
      ],
      '0',
    ),
    reassignment_count: int('Reassignment count', '0'),
    made_sla: bool('Made SLA', 'true'),
    sla_due: dateTime('SLA due'),
    due_date: dateTime('Due date'),
    upon_approval: choice(
      'Upon approval',
      [
        ['proceed', 'Proceed to Next Task'],
        ['do_nothing', 'Wait for a User to Close this task'],
      ],
      'proceed',
    ),
    upon_reject: choice(
      'Upon reject',
      [
        ['cancel', 'Cancel all future Tasks'],
        ['goto', 'Go to a previous Task'],
      ],
      'cancel',
    ),
    comments: journal('Additional comments'),
    work_notes: journal('Work notes'),
    comments_and_work_notes: journal('Comments and Work notes'),
  },
});

const INCIDENT_STATES = [
  ['1', 'New'],
  ['2', 'In Progress'],
  ['3', 'On Hold'],
  ['6', 'Resolved'],
  ['7', 'Closed'],
  ['8', 'Canceled'],
] as const;

/** §3.2. */
const INCIDENT = table({
  name: 'incident',
  label: 'Incident',
  parent: 'task',
  numberPrefix: 'INC',
  numberStart: 10001,
  inactiveStates: ['7', '8'],
  fields: {
    state: choice('State', INCIDENT_STATES, '1'),
    priority: choice('Priority', PRIORITY, '5'),
    incident_state: choice('Incident state', INCIDENT_STATES, '1'),
    caller_id: ref('Caller', 'sys_user'),
    category: choice(
      'Category',
      [
        ['inquiry', 'Inquiry / Help'],
        ['software', 'Software'],
        ['hardware', 'Hardware'],
        ['network', 'Network'],
        ['database', 'Database'],
      ],
      'inquiry',
    ),
    subcategory: str('Subcategory'),
    severity: choice('Severity', IMPACT, '3'),
    hold_reason: choice('On hold reason', [
      ['1', 'Awaiting Caller'],
      ['3', 'Awaiting Problem'],
      ['4', 'Awaiting Vendor'],
      ['5', 'Awaiting Change'],
    ]),
    close_code: choice(
      'Resolution code',
      sameValueChoices([
        'Duplicate',
        'Known error',
        'No resolution provided',
        'Resolved by caller',
        'Resolved by change',
        'Resolved by problem',
        'Resolved by request',
        'Solution provided',
        'Workaround provided',
        'User error',
      ]),
    ),
    resolved_by: ref('Resolved by', 'sys_user'),
    resolved_at: dateTime('Resolved'),
    reopen_count: int('Reopen count', '0'),
    reopened_by: ref('Last reopened by', 'sys_user'),
    reopened_time: dateTime('Last reopened at'),
    parent_incident: ref('Parent Incident', 'incident'),
    child_incidents: int('Child Incidents', '0'),
    problem_id: ref('Problem', 'problem'),
    rfc: ref('Change Request', 'change_request'),
    caused_by: ref('Caused by Change', 'change_request'),
    notify: choice(
      'Notify',
      [
        ['1', 'Do Not Notify'],
        ['2', 'Send Email'],
      ],
      '1',
    ),
    knowledge: bool('Knowledge'),
    business_stc: int('Business resolve time'),
    calendar_stc: int('Resolve time'),
  },
});

const CHANGE_STATES = [
  ['-5', 'New'],
  ['-4', 'Assess'],
  ['-3', 'Authorize'],
  ['-2', 'Scheduled'],
  ['-1', 'Implement'],
  ['0', 'Review'],
  ['3', 'Closed'],
  ['4', 'Canceled'],
] as const;

/** §3.4. */
const CHANGE_REQUEST = table({
  name: 'change_request',
  label: 'Change Request',
  parent: 'task',
  numberPrefix: 'CHG',
  numberStart: 30001,
  inactiveStates: ['3', '4'],
  fields: {
    state: choice('State', CHANGE_STATES, '-5'),
    priority: choice('Priority', PRIORITY.slice(0, 4), '4'),
    type: choice(
      'Type',
      [
        ['normal', 'Normal'],
        ['standard', 'Standard'],
        ['emergency', 'Emergency'],
      ],
      'normal',
    ),
    chg_model: str('Model'),
    std_change_producer_version: str('Standard change template version'),
    requested_by: ref('Requested by', 'sys_user'),
    category: choice(
      'Category',
      sameValueChoices([
        'Hardware',
        'Software',
        'Service',
        'System Software',
        'Applications Software',
        'Network',
        'Telecom',
        'Documentation',
        'Other',
      ]),
      'Other',
    ),
    risk: choice(
      'Risk',
      [
        ['1', 'Very High'],
        ['2', 'High'],
        ['3', 'Moderate'],
        ['4', 'Low'],
      ],
      '3',
    ),
    start_date: dateTime('Planned start date'),
    end_date: dateTime('Planned end date'),
    work_start: dateTime('Actual start date'),
    work_end: dateTime('Actual end date'),
    close_code: choice('Close code', [
      ['successful', 'Successful'],
      ['successful_issues', 'Successful with issues'],
      ['unsuccessful', 'Unsuccessful'],
    ]),
    on_hold: bool('On hold'),
    on_hold_reason: str('On hold reason'),
    conflict_status: choice('Conflict status', sameValueChoices(['Not Run', 'No Conflict', 'Conflict']), 'Not Run'),
    conflict_last_run: dateTime('Conflict last run'),
    review_date: dateTime('Review date'),
    implementation_plan: str('Implementation plan'),
    backout_plan: str('Backout plan'),
    test_plan: str('Test plan'),
    justification: str('Justification'),
    risk_impact_analysis: str('Risk and impact analysis'),
    cab_required: bool('CAB required'),
    cab_date: dateTime('CAB date'),
  },
});

/** §3.5. */
const CHANGE_TASK = table({
  name: 'change_task',
  label: 'Change Task',
  parent: 'task',
  numberPrefix: 'CTASK',
  numberStart: 10001,
  inactiveStates: ['3', '4'],
  fields: {
    state: choice(
      'State',
      [
        ['-5', 'Pending'],
        ['1', 'Open'],
        ['2', 'In Progress'],
        ['3', 'Closed'],
        ['4', 'Canceled'],
      ],
      '1',
    ),
    change_request: ref('Change request', 'change_request'),
    change_task_type: choice('Type', [
      ['planning', 'Planning'],
      ['implementation', 'Implementation'],
      ['testing', 'Testing'],
      ['review', 'Review'],
    ]),
    on_hold: bool('On hold'),
    on_hold_reason: str('On hold reason'),
  },
});

/** §3.5: the state model since Madrid (the legacy 1–4 model is left out). */
const PROBLEM = table({
  name: 'problem',
  label: 'Problem',
  parent: 'task',
  numberPrefix: 'PRB',
  numberStart: 40001,
  inactiveStates: ['107'],
  fields: {
    state: choice(
      'State',
      [
        ['101', 'New'],
        ['102', 'Assess'],
        ['103', 'Root Cause Analysis'],
        ['104', 'Fix in Progress'],
        ['106', 'Resolved'],
        ['107', 'Closed'],
      ],
      '101',
    ),
    priority: choice('Priority', PRIORITY, '5'),
    category: choice('Category', [
      ['software', 'Software'],
      ['hardware', 'Hardware'],
      ['network', 'Network'],
      ['database', 'Database'],
    ]),
    subcategory: str('Subcategory'),
    resolution_code: choice('Resolution code', [
      ['fix_applied', 'Fix Applied'],
      ['risk_accepted', 'Risk Accepted'],
      ['canceled', 'Canceled'],
      ['duplicate', 'Duplicate'],
    ]),
    cause_notes: str('Cause notes'),
    fix_notes: str('Fix notes'),
    known_error: bool('Known error'),
    workaround: str('Workaround'),
    duplicate_of: ref('Duplicate of', 'problem'),
    first_reported_by_task: ref('First reported by', 'task'),
  },
});

const SYS_USER = table({
  name: 'sys_user',
  label: 'User',
  displayField: 'name',
  fields: {
    user_name: str('User ID'),
    first_name: str('First name'),
    last_name: str('Last name'),
    name: str('Name'),
    email: str('Email'),
    title: str('Title'),
    department: str('Department'),
    phone: str('Business phone'),
    mobile_phone: str('Mobile phone'),
    manager: ref('Manager', 'sys_user'),
    time_zone: str('Time zone'),
    active: bool('Active', 'true'),
    locked_out: bool('Locked out'),
  },
});

const SYS_USER_GROUP = table({
  name: 'sys_user_group',
  label: 'Group',
  displayField: 'name',
  fields: {
    name: str('Name'),
    description: str('Description'),
    email: str('Group email'),
    manager: ref('Manager', 'sys_user'),
    parent: ref('Parent', 'sys_user_group'),
    type: str('Type'),
    active: bool('Active', 'true'),
  },
});

const SYS_USER_GRMEMBER = table({
  name: 'sys_user_grmember',
  label: 'Group Member',
  fields: { user: ref('User', 'sys_user'), group: ref('Group', 'sys_user_group') },
});

/** §4.1: the base CI class. The "common fields" of §4.1 all live here. */
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
  ciClass('cmdb_ci_server', 'Server', 'cmdb_ci_computer', { classification: str('Classification', 'Production') }),
  ciClass('cmdb_ci_unix_server', 'UNIX Server', 'cmdb_ci_server'),
  ciClass('cmdb_ci_linux_server', 'Linux Server', 'cmdb_ci_unix_server'),
  ciClass('cmdb_ci_win_server', 'Windows Server', 'cmdb_ci_server'),
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

/** §3.4: approval records. */
const SYSAPPROVAL_APPROVER = table({
  name: 'sysapproval_approver',
  label: 'Approval',
  fields: {
    approver: ref('Approver', 'sys_user'),
    sysapproval: ref('Approval for', 'task'),
    document_id: str('Approving'),
    source_table: str('Source table'),
    state: choice(
      'State',
      [
        ['not requested', 'Not Yet Requested'],
        ['requested', 'Requested'],
        ['approved', 'Approved'],
        ['rejected', 'Rejected'],
        ['cancelled', 'Cancelled'],
        ['not_required', 'No Longer Required'],
      ],
      'requested',
    ),
    comments: journal('Comments'),
    group: str('Group'),
  },
});

/** §3.7: schedules; change conflict detection keeps changes out of `blackout` and inside `maintenance` ones. */
const CMN_SCHEDULE = table({
  name: 'cmn_schedule',
  label: 'Schedule',
  displayField: 'name',
  fields: {
    name: str('Name'),
    type: choice('Type', [
      ['blackout', 'Blackout'],
      ['maintenance', 'Maintenance'],
      ['excluded', 'Excluded'],
    ]),
    time_zone: str('Time zone', 'GMT'),
    description: str('Description'),
  },
});

/** §3.7: one period of a schedule; start and end as `yyyyMMddTHHmmss` [inf]. */
const CMN_SCHEDULE_SPAN = table({
  name: 'cmn_schedule_span',
  label: 'Schedule Entry',
  displayField: 'name',
  fields: {
    schedule: ref('Schedule', 'cmn_schedule'),
    name: str('Name'),
    start_date_time: str('Start'),
    end_date_time: str('End'),
    all_day: bool('All day'),
  },
});

/** §3.6: one row per journal entry. */
const SYS_JOURNAL_FIELD = table({
  name: 'sys_journal_field',
  label: 'Journal Entry',
  fields: {
    element: str('Element'),
    element_id: { label: 'Element ID', type: 'sys_id' },
    name: str('Table name'),
    value: str('Value'),
  },
});

/** §6.2: attachment metadata. */
const SYS_ATTACHMENT = table({
  name: 'sys_attachment',
  label: 'Attachment',
  displayField: 'file_name',
  fields: {
    file_name: str('File name'),
    content_type: str('Content type'),
    size_bytes: int('Size bytes'),
    size_compressed: int('Size compressed'),
    compressed: bool('Compressed', 'true'),
    table_name: str('Table name'),
    table_sys_id: str('Table sys ID'),
    image_height: str('Image height'),
    image_width: str('Image width'),
    average_image_color: str('Average image color'),
    state: str('State', 'available'),
    chunk_size_bytes: str('Chunk size bytes', '700000'),
  },
});

/** The bytes of an attachment, Base64 in `data`; the sandbox keeps each file in one chunk. */
const SYS_ATTACHMENT_DOC = table({
  name: 'sys_attachment_doc',
  label: 'Attachment Document',
  fields: {
    sys_attachment: ref('Attachment', 'sys_attachment'),
    position: int('Position', '0'),
    length: int('Length'),
    data: str('Data'),
  },
});

const SYS_CHOICE = table({
  name: 'sys_choice',
  label: 'Choice',
  displayField: 'label',
  fields: {
    name: str('Table'),
    element: str('Element'),
    value: str('Value'),
    label: str('Label'),
    sequence: int('Sequence'),
    language: str('Language', 'en'),
    inactive: bool('Inactive'),
    dependent_value: str('Dependent value'),
  },
});

const TABLES: ReadonlyMap<string, TableDef> = new Map(
  [
    TASK,
    INCIDENT,
    CHANGE_REQUEST,
    CHANGE_TASK,
    PROBLEM,
    SYS_USER,
    SYS_USER_GROUP,
    SYS_USER_GRMEMBER,
    CMDB_CI,
    ...CMDB_CLASSES,
    CMDB_REL_TYPE,
    CMDB_REL_CI,
    SYSAPPROVAL_APPROVER,
    CMN_SCHEDULE,
    CMN_SCHEDULE_SPAN,
    SYS_JOURNAL_FIELD,
    SYS_ATTACHMENT,
    SYS_ATTACHMENT_DOC,
    SYS_CHOICE,
  ].map((t) => [t.name, t]),
);

/** §1.4: the fields every record has, whatever its table. */
const SYSTEM_FIELDS: readonly FieldDef[] = [
  { name: 'sys_id', label: 'Sys ID', type: 'sys_id' },
  { name: 'sys_created_on', label: 'Created', type: 'glide_date_time' },
  { name: 'sys_created_by', label: 'Created by', type: 'string' },
  { name: 'sys_updated_on', label: 'Updated', type: 'glide_date_time' },
  { name: 'sys_updated_by', label: 'Updated by', type: 'string' },
  { name: 'sys_mod_count', label: 'Updates', type: 'integer', defaultValue: '0' },
  { name: 'sys_tags', label: 'Tags', type: 'string' },
  {
    name: 'sys_class_name',
    label: 'Class',
    type: 'choice',
    choices: [...TABLES.values()].map((t) => ({ value: t.name, label: t.label })),
  },
  // Without domain separation every record sits in `global`, a reference into sys_user_group.
  { name: 'sys_domain', label: 'Domain', type: 'reference', reference: 'sys_user_group', defaultValue: 'global' },
  { name: 'sys_domain_path', label: 'Domain path', type: 'string', defaultValue: '/' },
];

/** The table called `name`, or undefined when the instance has no such table. */
export function getTable(name: string): TableDef | undefined {
  return TABLES.get(name);
}

/** Every table of the model. */
export function tableNames(): string[] {
  return [...TABLES.keys()];
}

/** `incident` → `['incident', 'task']`: the table first, then each parent up to the root. */
export function ancestorsOf(name: string): string[] {
  const chain: string[] = [];
  for (let t = TABLES.get(name); t; t = t.parent ? TABLES.get(t.parent) : undefined) chain.push(t.name);
  return chain;
}

/** The table at the top of `name`'s hierarchy (`cmdb_ci_linux_server` → `cmdb_ci`). */
export function rootOf(name: string): string {
  return ancestorsOf(name).at(-1) ?? name;
}

/** True when class `cls` is `ancestor` or extends it (the `INSTANCEOF` operator, §2.2). */
export function isInstanceOf(cls: string, ancestor: string): boolean {
  return ancestorsOf(cls).includes(ancestor);
}

const fieldCache = new Map<string, ReadonlyMap<string, FieldDef>>();

/** System fields, then inherited fields from the root down, a child's redefinition replacing the parent's in place. */
function fieldMap(name: string): ReadonlyMap<string, FieldDef> {
  const cached = fieldCache.get(name);
  if (cached) return cached;
  const byName = new Map<string, FieldDef>();
  const chain = ancestorsOf(name).reverse();
  if (chain.length > 0) for (const f of SYSTEM_FIELDS) byName.set(f.name, f);
  for (const t of chain) for (const f of TABLES.get(t)!.fields) byName.set(f.name, f);
  fieldCache.set(name, byName);
  return byName;
}

/**
 * All fields of a table in display order, system and inherited ones included; a child's redefinition
 * (incident's `state` choices) replaces the parent's. Empty for an unknown table.
 */
export function fieldsOf(name: string): FieldDef[] {
  return [...fieldMap(name).values()];
}

/** The field `field` of table `name`, own or inherited, or undefined. */
export function fieldOf(name: string, field: string): FieldDef | undefined {
  return fieldMap(name).get(field);
}

/** The nearest definition of a table property along the hierarchy (`displayField`, `inactiveStates`). */
function inherited<K extends keyof TableDef>(name: string, key: K): TableDef[K] | undefined {
  for (const t of ancestorsOf(name)) {
    const value = TABLES.get(t)![key];
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The field whose value represents a row of `name` when referenced; undefined when none does. */
export function displayFieldOf(name: string): string | undefined {
  return inherited(name, 'displayField');
}

/** The `state` values at which a record of `name` is closed or canceled (§3.2, §3.4, §3.5). */
export function inactiveStatesOf(name: string): readonly string[] {
  return inherited(name, 'inactiveStates') ?? [];
}

/** The label of a choice value, or the value itself when the field does not list it. */
export function choiceLabel(field: FieldDef, value: string): string {
  return field.choices?.find((c) => c.value === value)?.label ?? value;
}
