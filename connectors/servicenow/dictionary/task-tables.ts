/** docs/servicenow-behaviour.md §3: the ticket tables (`task` and the incident and problem processes). */
import { bool, choice, dateTime, int, journal, ref, sameValueChoices, str, table } from './model';

export const IMPACT = [
  ['1', '1 - High'],
  ['2', '2 - Medium'],
  ['3', '3 - Low'],
] as const;
export const PRIORITY = [
  ['1', '1 - Critical'],
  ['2', '2 - High'],
  ['3', '3 - Moderate'],
  ['4', '4 - Low'],
  ['5', '5 - Planning'],
] as const;

/** docs/servicenow-behaviour.md §3.1: the fields every ticket table inherits. */
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

/** docs/servicenow-behaviour.md §3.2. */
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

/** docs/servicenow-behaviour.md §3.5: the state model since Madrid (the legacy 1–4 model is left out). */
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

/** docs/servicenow-behaviour.md §3.5: a problem's tasks (root-cause analysis, general work), with their own state model. */
const PROBLEM_TASK = table({
  name: 'problem_task',
  label: 'Problem Task',
  parent: 'task',
  numberPrefix: 'PTASK',
  numberStart: 10001,
  inactiveStates: ['157'],
  fields: {
    state: choice(
      'State',
      [
        ['151', 'New'],
        ['152', 'Assess'],
        ['154', 'Work in Progress'],
        ['157', 'Closed'],
      ],
      '151',
    ),
    problem: ref('Problem', 'problem'),
    problem_task_type: choice(
      'Type',
      [
        ['general', 'General'],
        ['rca', 'Root Cause Analysis'],
      ],
      'general',
    ),
    cause_code: str('Cause code'),
    close_code: choice('Close code', [
      ['fix_applied', 'Fix Applied'],
      ['canceled', 'Canceled'],
    ]),
    fix_notes: str('Fix notes'),
    other_reason: str('Other reason'),
  },
});

export const TASK_TABLES = [TASK, INCIDENT, PROBLEM, PROBLEM_TASK];
