/** docs/servicenow-behaviour.md §3.4–3.5: change management's tables. */
import { bool, choice, dateTime, int, ref, sameValueChoices, str, table } from './model';

import { PRIORITY } from './task-tables';

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

/** docs/servicenow-behaviour.md §3.4. */
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
    std_change_producer_version: ref('Standard change template version', 'std_change_producer_version'),
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

/** docs/servicenow-behaviour.md §3.5. */
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

/** A standard change template: the change_request values it fills in, as an encoded query (`field=value^…`). */
const STD_CHANGE_TEMPLATE = table({
  name: 'std_change_template',
  label: 'Standard Change Template',
  displayField: 'name',
  fields: {
    name: str('Name'),
    table: str('Table', 'change_request'),
    template: str('Template'),
    active: bool('Active', 'true'),
  },
});

/** The catalog item a standard change is requested from; it names its template. */
const STD_CHANGE_RECORD_PRODUCER = table({
  name: 'std_change_record_producer',
  label: 'Standard Change Template',
  displayField: 'name',
  fields: {
    name: str('Name'),
    short_description: str('Short description'),
    template: ref('Template', 'std_change_template'),
    category: str('Category'),
    active: bool('Active', 'true'),
  },
});

/** One approved version of a standard change template: what `change_request.std_change_producer_version` points at. */
const STD_CHANGE_PRODUCER_VERSION = table({
  name: 'std_change_producer_version',
  label: 'Standard Change Template Version',
  displayField: 'name',
  fields: {
    name: str('Name'),
    std_change_producer: ref('Standard change template', 'std_change_record_producer'),
    version: int('Version', '1'),
    template_value: str('Template value'),
  },
});

export const CHANGE_TABLES = [
  CHANGE_REQUEST,
  CHANGE_TASK,
  STD_CHANGE_TEMPLATE,
  STD_CHANGE_RECORD_PRODUCER,
  STD_CHANGE_PRODUCER_VERSION,
];
