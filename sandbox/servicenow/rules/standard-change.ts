import { fieldOf } from '../../../connectors/servicenow/dictionary';
import { AbortedWriteError } from '../errors/aborted-write.error';
import type { RecordStore, RecordValues } from '../record-store';

/** States a standard change never passes through: it is pre-authorised (https://www.servicenow.com/docs/r/it-service-management/change-management/normal-standard-emergency-states.html). */
const NOT_FOR_STANDARD: Record<string, string> = { '-4': 'Assess', '-3': 'Authorize' };

/**
 * Standard changes (docs/servicenow-behaviour.md §3.4): one raised from a template version (`std_change_producer_version`) gets the
 * template's values for the fields the request left at their defaults and is approved by the template
 * (`approval=approved`, no approval records); a standard change follows New → Scheduled → Implement
 * → Review → Closed, so a move to Assess or Authorize is aborted. A version that does not exist is
 * refused rather than ignored.
 */
export function applyStandardChange(
  table: string,
  next: Record<string, string>,
  previous: RecordValues | undefined,
  store: RecordStore,
): void {
  if (table !== 'change_request' || next.type !== 'standard') return;
  const refused = NOT_FOR_STANDARD[next.state ?? ''];
  if (refused && previous?.state !== next.state)
    throw new AbortedWriteError(
      `Invalid state transition: a standard change is pre-authorised and has no ${refused} state (New, Scheduled, Implement, Review, Closed)`,
    );
  const versionId = next.std_change_producer_version ?? '';
  if (versionId === '' || versionId === previous?.std_change_producer_version) return;
  const version = store.get('std_change_producer_version', versionId);
  if (!version)
    throw new AbortedWriteError(`std_change_producer_version ${versionId} is not a standard change template version`);
  const producer = store.get('std_change_record_producer', version.std_change_producer ?? '');
  const template = store.get('std_change_template', producer?.template ?? '');
  for (const [field, value] of templateValues(template?.template ?? '')) {
    const def = fieldOf('change_request', field);
    if (def && !field.startsWith('sys_') && (next[field] ?? '') === (def.defaultValue ?? '')) next[field] = value;
  }
  next.type = 'standard';
  next.approval = 'approved';
}

/** `field=value^field=value` (values cannot contain `^`, docs/servicenow-behaviour.md §2.3). */
function templateValues(encoded: string): [string, string][] {
  return encoded.split('^').flatMap((part) => {
    const at = part.indexOf('=');
    return at > 0 ? [[part.slice(0, at), part.slice(at + 1)] as [string, string]] : [];
  });
}
