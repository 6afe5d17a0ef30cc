import { fieldOf, isInstanceOf } from '../../../connectors/servicenow/dictionary';
import { DataPolicyError } from '../errors/data-policy.error';

/** Resolved and Closed (docs/servicenow-behaviour.md §3.2). */
const RESOLVED_STATES = ['6', '7'];
const MANDATORY = ['close_code', 'close_notes'];

/**
 * docs/servicenow-behaviour.md §3.2: the data policy many instances apply to API writes: an incident saved as Resolved or
 * Closed must carry a resolution code and close notes. Checked on every save, like a data policy.
 */
export function checkIncidentDataPolicy(table: string, next: Readonly<Record<string, string>>): void {
  if (!isInstanceOf(table, 'incident') || !RESOLVED_STATES.includes(next.state ?? '')) return;
  const missing = MANDATORY.filter((name) => !next[name]?.trim());
  if (missing.length > 0) throw new DataPolicyError(missing.map((name) => fieldOf(table, name)?.label ?? name));
}
