import { choiceLabel, displayFieldOf, fieldOf, type FieldDef } from '../../connectors/servicenow/dictionary';
import type { FieldReader } from '../../src/rules/encoded-query';
import type { RecordStore, RecordValues } from './record-store';

/** A field reached from a record, possibly through references, and its raw value there. */
export interface ResolvedField {
  field: FieldDef;
  value: string;
  /** The row that holds the field; undefined when the path crossed an empty reference. */
  holder: RecordValues | undefined;
}

/**
 * Follows a field path from `row` of `table` (`caller_id.department.name`, docs/servicenow-behaviour.md §1.2 dot-walking)
 * through reference fields. Undefined when a name on the path is not a field of its table or a
 * non-reference field is walked through; an empty or dangling reference yields the last field
 * with an empty value, as ServiceNow shows it.
 */
export function resolvePath(
  store: RecordStore,
  table: string,
  row: RecordValues,
  path: string,
): ResolvedField | undefined {
  const names = path.split('.');
  let current: RecordValues | undefined = row;
  let currentTable = table;
  for (const [index, name] of names.entries()) {
    const field = fieldOf(currentTable, name);
    if (!field) return undefined;
    const value: string = current?.[name] ?? '';
    if (index === names.length - 1) return { field, value, holder: current };
    if (field.type !== 'reference' || !field.reference) return undefined;
    currentTable = field.reference;
    current = value === '' ? undefined : store.get(field.reference, value);
  }
  return undefined;
}

/**
 * The display value of a raw value: a choice's label, a referenced row's display field (of its
 * concrete class). A reference to a row that does not exist shows its raw value [inf], which also
 * gives `sys_domain` its usual display value `global`.
 */
export function displayValueOf(store: RecordStore, field: FieldDef, value: string): string {
  if (value === '') return '';
  if (field.type === 'choice') return choiceLabel(field, value);
  if (field.type !== 'reference' || !field.reference) return value;
  const target = store.get(field.reference, value);
  const displayField = target && displayFieldOf(target.sys_class_name ?? field.reference);
  return (displayField && target?.[displayField]) || value;
}

/**
 * How the encoded-query evaluator sees a stored row of `table`. Only references carry a display
 * value: the evaluator matches LIKE and STARTSWITH against it, and on other fields against the value.
 */
export function recordReader(store: RecordStore, table: string, row: RecordValues): FieldReader {
  return {
    read(path) {
      const resolved = resolvePath(store, table, row, path);
      if (!resolved) return undefined;
      const { field, value } = resolved;
      // A query cannot probe a password either.
      if (field.type === 'password') return { value: value === '' ? '' : '********' };
      return field.type === 'reference' ? { value, display: displayValueOf(store, field, value) } : { value };
    },
  };
}
