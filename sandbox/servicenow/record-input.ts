import { displayFieldOf, fieldOf, type FieldDef } from '../../connectors/servicenow/dictionary';
import { isSysId } from './glide-values';
import type { RecordStore } from './record-store';

/** A request body turned into what a write stores: field values, and journal entries to append. */
export interface RecordInput {
  values: Record<string, string>;
  journal: { element: string; value: string }[];
}

/**
 * Reads a POST/PUT/PATCH body for `table` the way the Table API does (docs/servicenow-behaviour.md §1.1): unknown names and
 * system (`sys_*`) fields are ignored, every value becomes a string, journal fields become entries.
 * With `inputDisplayValue` (`sysparm_input_display_value=true`) choice labels are accepted too.
 */
export function readRecordInput(
  store: RecordStore,
  table: string,
  body: Record<string, unknown>,
  options: { inputDisplayValue: boolean },
): RecordInput {
  const input: RecordInput = { values: {}, journal: [] };
  for (const [name, raw] of Object.entries(body)) {
    const field = fieldOf(table, name);
    if (!field || name.startsWith('sys_')) continue;
    const text = toText(raw);
    if (field.type === 'journal') {
      // The combined field is only a view of the other two; real instances ignore writes to it.
      if (name !== 'comments_and_work_notes' && text.trim() !== '') input.journal.push({ element: name, value: text });
      continue;
    }
    const value = storedValue(store, field, text, options.inputDisplayValue);
    if (value !== undefined) input.values[name] = value;
  }
  return input;
}

/** The string a JSON value stands for; a `{value}` object (a reference echoed back) gives its value. */
function toText(raw: unknown): string {
  if (raw === null || raw === undefined) return '';
  if (Array.isArray(raw)) return raw.map(toText).join(',');
  if (typeof raw === 'object') {
    const { value } = raw as { value?: unknown };
    return typeof value === 'string' ? value : JSON.stringify(raw);
  }
  return String(raw);
}

/** The value to store, or undefined to leave the field as it is. */
function storedValue(
  store: RecordStore,
  field: FieldDef,
  text: string,
  inputDisplayValue: boolean,
): string | undefined {
  switch (field.type) {
    case 'boolean':
      return text === 'true' || text === '1' ? 'true' : 'false';
    case 'choice':
      // Writing "" empties a field, but not a choice (docs/servicenow-behaviour.md §1.1) [inf]: a choice with a default
      // (state, impact) cannot be blanked and keeps its value; one without (close_code) clears.
      if (text === '') return field.defaultValue === undefined ? '' : undefined;
      return inputDisplayValue ? (field.choices?.find((c) => c.label === text)?.value ?? text) : text;
    case 'reference':
      return referenceValue(store, field, text);
    default:
      return text;
  }
}

/**
 * A reference is given by sys_id; a value that is not the sys_id of a row of the target table is
 * looked up by the target's display value (`"assignment_group": "Linux Ops"`), as the platform does
 * when a reference is set to a display value [inf]. Anything else is stored as given.
 */
function referenceValue(store: RecordStore, field: FieldDef, text: string): string {
  const target = field.reference ?? '';
  if (text === '' || (isSysId(text) && store.get(target, text))) return text;
  const displayField = displayFieldOf(target);
  const match = displayField && store.list(target).find((row) => row[displayField] === text);
  return match ? (match.sys_id ?? text) : text;
}
