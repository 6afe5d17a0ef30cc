/** Users and groups, approvals, schedules, journal, attachments and choices. */
import { bool, choice, int, journal, ref, str, table } from './model';

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
    department: ref('Department', 'cmn_department'),
    // Shown as ******** whatever it holds (model.ts `password`).
    user_password: { label: 'Password', type: 'password' },
    phone: str('Business phone'),
    mobile_phone: str('Mobile phone'),
    manager: ref('Manager', 'sys_user'),
    time_zone: str('Time zone'),
    active: bool('Active', 'true'),
    locked_out: bool('Locked out'),
  },
});

const CMN_DEPARTMENT = table({
  name: 'cmn_department',
  label: 'Department',
  displayField: 'name',
  fields: {
    name: str('Name'),
    id: str('ID'),
    description: str('Description'),
    head: ref('Department head', 'sys_user'),
    parent: ref('Parent', 'cmn_department'),
    company: str('Company'),
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

/** docs/servicenow-behaviour.md §3.4: approval records. */
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

/** docs/servicenow-behaviour.md §3.7: schedules; change conflict detection keeps changes out of `blackout` and inside `maintenance` ones. */
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

/** docs/servicenow-behaviour.md §3.7: one period of a schedule; start and end as `yyyyMMddTHHmmss` [inf]. */
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

/** docs/servicenow-behaviour.md §3.6: one row per journal entry. */
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

/** docs/servicenow-behaviour.md §6.2: attachment metadata. */
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
    hash: str('Hash'),
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

/** docs/servicenow-behaviour.md §1.2: a long URL's query string kept under a short id (`sysparm_tiny`). */
const SYS_TINY_URL = table({
  name: 'sys_tiny_url',
  label: 'Tiny URL',
  fields: { tiny_url: str('Tiny URL'), data: str('Data') },
});

export const SYSTEM_TABLES = [
  SYS_TINY_URL,
  CMN_DEPARTMENT,
  SYS_USER,
  SYS_USER_GROUP,
  SYS_USER_GRMEMBER,
  SYSAPPROVAL_APPROVER,
  CMN_SCHEDULE,
  CMN_SCHEDULE_SPAN,
  SYS_JOURNAL_FIELD,
  SYS_ATTACHMENT,
  SYS_ATTACHMENT_DOC,
  SYS_CHOICE,
];
