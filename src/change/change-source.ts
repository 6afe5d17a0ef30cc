import type { ServiceNowClient } from '../../connectors/servicenow/client';
import { queryValue } from '../../connectors/servicenow/schemas';
import { parseDateTime } from '../rules/encoded-query/date-time';
import type { ApprovalRecord, ChangeSnapshot, Freeze } from './change-gates';

/** What the change gates read from ServiceNow at the moment of execution, and the tasks they create. */
export interface ChangeSource {
  change(sysId: string): Promise<ChangeSnapshot>;
  approvals(changeSysId: string): Promise<ApprovalRecord[]>;
  /** Blackout schedule spans (cmn_schedule type blackout, docs/servicenow-behaviour.md §3.7) as freezes. */
  blackouts(): Promise<Freeze[]>;
  /** Creates the change_task unless one with this correlation_id exists; returns its sys_id. */
  ensureTask(changeSysId: string, correlationId: string, fields: Record<string, string>): Promise<string>;
}

const CHANGE_FIELDS: (keyof ChangeSnapshot)[] = [
  'number',
  'type',
  'state',
  'approval',
  'start_date',
  'end_date',
  'requested_by',
  'cmdb_ci',
];

/** The standard change template version a standard change was raised from (docs/servicenow-behaviour.md §3.4). */
const TEMPLATE = 'std_change_producer_version';

/** Reads raw values (docs/servicenow-behaviour.md §1.4): reference fields as sys_ids, date-times in UTC. */
export function serviceNowChangeSource(client: ServiceNowClient): ChangeSource {
  const raw = { displayValue: false };
  return {
    async change(sysId) {
      const record = await client.getRecord('change_request', sysId, {
        ...raw,
        fields: [...CHANGE_FIELDS, 'requested_by.user_name', TEMPLATE, `${TEMPLATE}.name`],
      });
      const snapshot = Object.fromEntries(CHANGE_FIELDS.map((f) => [f, text(record[f])])) as unknown as ChangeSnapshot;
      const template = text(record[TEMPLATE]);
      return {
        ...snapshot,
        requested_by_name: text(record['requested_by.user_name']),
        ...(template ? { template_name: text(record[`${TEMPLATE}.name`]) || template } : {}),
      };
    },
    async approvals(changeSysId) {
      const page = await client.query('sysapproval_approver', {
        ...raw,
        query: `sysapproval=${queryValue(changeSysId)}`,
        fields: ['approver', 'state', 'approver.user_name', 'sys_updated_on'],
        limit: 200,
      });
      return page.rows.map((row) => ({
        approver: text(row.approver),
        state: text(row.state),
        approverName: text(row['approver.user_name']),
        decidedAt: text(row.sys_updated_on),
      }));
    },
    async blackouts() {
      const schedules = await client.query('cmn_schedule', {
        ...raw,
        query: 'type=blackout',
        fields: ['sys_id', 'name'],
        limit: 200,
      });
      if (schedules.rows.length === 0) return [];
      const names = new Map(schedules.rows.map((s) => [text(s.sys_id), text(s.name)]));
      const spans = await client.query('cmn_schedule_span', {
        ...raw,
        query: `scheduleIN${[...names.keys()].join(',')}`,
        fields: ['schedule', 'name', 'start_date_time', 'end_date_time'],
        limit: 1000,
      });
      return spans.rows.flatMap((span) => {
        const startMs = scheduleDateTime(text(span.start_date_time));
        const endMs = scheduleDateTime(text(span.end_date_time));
        const name = `${names.get(text(span.schedule)) ?? 'blackout'}${span.name ? `: ${text(span.name)}` : ''}`;
        return startMs !== undefined && endMs !== undefined ? [{ name, startMs, endMs }] : [];
      });
    },
    async ensureTask(changeSysId, correlationId, fields) {
      const existing = await client.query('change_task', {
        ...raw,
        query: `change_request=${queryValue(changeSysId)}^correlation_id=${queryValue(correlationId)}`,
        fields: ['sys_id'],
        limit: 1,
      });
      if (existing.rows[0]) return text(existing.rows[0].sys_id);
      const created = await client.insert(
        'change_task',
        { ...fields, change_request: changeSysId, correlation_id: correlationId },
        { fields: ['sys_id'] },
      );
      return text(created.sys_id);
    },
  };
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'value' in value) return String((value as { value: unknown }).value);
  return value === undefined || value === null ? '' : String(value);
}

/** Schedule spans store `yyyyMMddTHHmmss` [inf]; the raw Table API date-time form is accepted too. Both read as UTC. */
export function scheduleDateTime(value: string): number | undefined {
  const compact = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (compact)
    return parseDateTime(`${compact[1]}-${compact[2]}-${compact[3]} ${compact[4]}:${compact[5]}:${compact[6]}`);
  return parseDateTime(value);
}
