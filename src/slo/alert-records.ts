import type { AlertCondition } from './alert-conditions';

/**
 * What an alert writes into ServiceNow, as Table API fields: an incident opened, updated by work
 * notes and resolved; or Event Management events sharing one message_key, the last with severity 0
 * (Clear), which closes the alert they make
 * (https://www.servicenow.com/docs/bundle/zurich-it-operations-management/page/product/event-management/concept/c_EM_EventFieldsAndAttributes.html).
 */
export type AlertTarget = 'incident' | 'em_event';

export interface RecordSettings {
  assignmentGroup?: string;
}

/** The Table API's date-time form (UTC). */
function glideTime(at: number): string {
  return new Date(at).toISOString().slice(0, 19).replace('T', ' ');
}

function figures(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([name, value]) => `${name}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join('\n');
}

function titleOf(condition: AlertCondition): string {
  return condition.kind === 'alertmanager' ? condition.summary : `[Snowline] ${condition.summary}`;
}

export function openFields(
  target: AlertTarget,
  condition: AlertCondition,
  settings: RecordSettings,
  at: number,
): Record<string, string> {
  if (target === 'em_event') return eventFields(condition, settings, condition.severity === 'page' ? '1' : '3', at);
  const urgent = condition.severity === 'page';
  return {
    short_description: titleOf(condition).slice(0, 160),
    description: `${condition.summary}\n\n${figures(condition.detail)}\n\nAlert key: ${condition.key}`,
    urgency: urgent ? '1' : '2',
    impact: urgent ? '2' : '3',
    correlation_id: condition.key,
    ...(settings.assignmentGroup ? { assignment_group: settings.assignmentGroup } : {}),
    ...condition.fields,
  };
}

export function updateFields(
  target: AlertTarget,
  condition: AlertCondition,
  settings: RecordSettings,
  marker: string,
  at: number,
): Record<string, string> {
  if (target === 'em_event') return eventFields(condition, settings, condition.severity === 'page' ? '1' : '3', at);
  return { work_notes: `The condition still holds.\n${figures(condition.detail)}\n${marker}` };
}

export function resolveFields(
  target: AlertTarget,
  condition: Pick<AlertCondition, 'key' | 'kind' | 'summary'>,
  settings: RecordSettings,
  marker: string,
  at: number,
): Record<string, string> {
  if (target === 'em_event')
    return {
      ...eventFields({ ...condition, detail: {}, severity: 'ticket' }, settings, '0', at),
      resolution_state: 'Closing',
    };
  return {
    state: '6',
    close_code: 'Solution provided',
    close_notes: `The condition cleared: ${condition.summary}`,
    work_notes: `The condition cleared on ${glideTime(at)} UTC; resolved by Snowline. ${marker}`,
  };
}

function eventFields(
  condition: AlertCondition,
  settings: RecordSettings,
  severity: string,
  at: number,
): Record<string, string> {
  const detail = condition.detail as { rule?: string; step?: string };
  return {
    source: 'Snowline',
    node: 'snowline',
    type: condition.kind,
    resource: [detail.rule, detail.step].filter(Boolean).join('/') || condition.kind,
    metric_name: condition.kind,
    message_key: condition.key,
    severity,
    description: `${condition.summary}\n${figures(condition.detail)}`,
    additional_info: JSON.stringify({
      ...condition.detail,
      ...(settings.assignmentGroup ? { assignment_group: settings.assignmentGroup } : {}),
    }),
    time_of_event: glideTime(at),
  };
}
