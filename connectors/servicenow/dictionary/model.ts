/** The building blocks of the table model: field and table definitions and their shorthands. */

/** How a field stores and shows its value (every value travels as a string, docs/servicenow-behaviour.md §1.4). */
export type FieldType =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'reference'
  | 'choice'
  | 'glide_date_time'
  | 'journal'
  | 'sys_id'
  /** Stored as written, always read back as `********` (`user_password`). */
  | 'password';

/** One stored value of a choice field and the label shown for it. */
export interface Choice {
  value: string;
  label: string;
}

/** One column of a table. */
export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  /** For `reference` fields: the table the sys_id points into. */
  reference?: string;
  /** For `choice` fields, in display order. */
  choices?: readonly Choice[];
  /** The value an insert gets when the field is not supplied; otherwise the empty string. */
  defaultValue?: string;
}

/** One table and what it adds to its parent. */
export interface TableDef {
  name: string;
  label: string;
  /** The table this one extends; its fields and rows are visible through the parent. */
  parent?: string;
  /** `INC` → numbers `INC0010001`, `INC0010002`, … (prefix + 7 digits). */
  numberPrefix?: string;
  /** First number handed out, per the base system's number maintenance. */
  numberStart?: number;
  /** The field whose value stands for a row when it is referenced (`display_value`). */
  displayField?: string;
  /** Values of `state` at which a record is no longer active (`active=false`). */
  inactiveStates?: readonly string[];
  /** Fields this table declares itself; a name the parent has overrides the parent's field. */
  fields: readonly FieldDef[];
}

export type FieldSpec = Omit<FieldDef, 'name'>;

export const str = (label: string, defaultValue?: string): FieldSpec => ({ label, type: 'string', defaultValue });
export const int = (label: string, defaultValue?: string): FieldSpec => ({ label, type: 'integer', defaultValue });
export const bool = (label: string, defaultValue = 'false'): FieldSpec => ({ label, type: 'boolean', defaultValue });
export const ref = (label: string, reference: string): FieldSpec => ({ label, type: 'reference', reference });
export const dateTime = (label: string): FieldSpec => ({ label, type: 'glide_date_time' });
export const journal = (label: string): FieldSpec => ({ label, type: 'journal' });
export const choice = (
  label: string,
  pairs: readonly (readonly [string, string])[],
  defaultValue?: string,
): FieldSpec => ({
  label,
  type: 'choice',
  choices: pairs.map(([value, label]) => ({ value, label })),
  defaultValue,
});
/** Choices whose stored value is the label itself (common in base data, e.g. `close_code`). */
export const sameValueChoices = (labels: readonly string[]) => labels.map((l) => [l, l] as const);

export function table(def: Omit<TableDef, 'fields'> & { fields: Record<string, FieldSpec> }): TableDef {
  return { ...def, fields: Object.entries(def.fields).map(([name, spec]) => ({ name, ...spec })) };
}
