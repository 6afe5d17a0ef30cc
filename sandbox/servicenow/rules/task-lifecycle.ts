import { inactiveStatesOf, isInstanceOf } from '../../../connectors/servicenow/dictionary';
import type { RecordValues } from '../record-store';

/** Who acts and when, as the lifecycle stamps record them. */
export interface Actor {
  /** sys_id of the acting sys_user ('' when the user has no row). */
  userSysId: string;
  /** Raw date-time of the write. */
  on: string;
}

/**
 * The bookkeeping the base system's business rules do on ticket tables: `opened_at`/`opened_by`
 * on insert; on a state change `active` (false in closed and canceled states, docs/servicenow-behaviour.md §3.1), `closed_at`/
 * `closed_by` on closing, `resolved_at`/`resolved_by` on resolving an incident and the legacy
 * `incident_state` mirror (docs/servicenow-behaviour.md §3.2).
 */
export function applyTaskLifecycle(
  table: string,
  next: Record<string, string>,
  previous: RecordValues | undefined,
  actor: Actor,
): void {
  if (!isInstanceOf(table, 'task')) return;
  if (!previous) {
    next.opened_at ||= actor.on;
    next.opened_by ||= actor.userSysId;
  }
  if (previous && previous.state === next.state) return;
  const inactive = inactiveStatesOf(table).includes(next.state ?? '');
  next.active = String(!inactive);
  if (inactive) {
    next.closed_at ||= actor.on;
    next.closed_by ||= actor.userSysId;
  }
  if (!isInstanceOf(table, 'incident')) return;
  next.incident_state = next.state ?? '';
  if (next.state === '6') {
    next.resolved_at ||= actor.on;
    next.resolved_by ||= actor.userSysId;
  }
}
