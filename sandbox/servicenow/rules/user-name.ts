import { isInstanceOf } from '../../../connectors/servicenow/dictionary';
import type { RecordValues } from '../record-store';

/** A user's `name` is calculated from first and last name whenever either is written. */
export function applyUserName(table: string, next: Record<string, string>, previous: RecordValues | undefined): void {
  if (!isInstanceOf(table, 'sys_user')) return;
  if (previous && previous.first_name === next.first_name && previous.last_name === next.last_name) return;
  const full = `${next.first_name ?? ''} ${next.last_name ?? ''}`.trim();
  if (full) next.name = full;
}
