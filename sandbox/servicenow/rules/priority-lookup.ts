import { isInstanceOf } from '../../../connectors/servicenow/dictionary';

/** docs/servicenow-behaviour.md §3.3: priority by impact (rows) × urgency (columns), both 1 High … 3 Low. */
const MATRIX: Record<string, Record<string, string>> = {
  '1': { '1': '1', '2': '2', '3': '3' },
  '2': { '1': '2', '2': '3', '3': '4' },
  '3': { '1': '3', '2': '4', '3': '5' },
};

/**
 * Incident and problem priority is computed, never written: any write recomputes it from impact
 * and urgency, overriding a supplied `priority` [inf, docs/servicenow-behaviour.md §3.3]. Outside the matrix it is left alone.
 */
export function applyPriorityLookup(table: string, next: Record<string, string>): void {
  if (!isInstanceOf(table, 'incident') && !isInstanceOf(table, 'problem')) return;
  const priority = MATRIX[next.impact ?? '']?.[next.urgency ?? ''];
  if (priority) next.priority = priority;
}
