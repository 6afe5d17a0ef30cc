/**
 * The ServiceNow table model that the sandbox, the Table API client and the mapping validator share:
 * which tables exist, which table each extends, their fields with types, choices and defaults, and
 * their number prefixes. Values follow docs/sandbox.md "Data model" (system fields, ITSM
 * tables and state models) and CMDB classes. It is a model of the base system, not of any
 * one customer instance: a real instance may add `u_` fields and choices.
 */

import { CHANGE_TABLES } from './change-tables';
import { CMDB_TABLES } from './cmdb-tables';
import type { FieldDef, TableDef } from './model';
import { SYSTEM_TABLES } from './system-tables';
import { TASK_TABLES } from './task-tables';

export type { Choice, FieldDef, FieldType, TableDef } from './model';

const TABLES: ReadonlyMap<string, TableDef> = new Map(
  [...TASK_TABLES, ...CHANGE_TABLES, ...CMDB_TABLES, ...SYSTEM_TABLES].map((t) => [t.name, t]),
);

/** docs/servicenow-behaviour.md §1.4: the fields every record has, whatever its table. */
const SYSTEM_FIELDS: readonly FieldDef[] = [
  { name: 'sys_id', label: 'Sys ID', type: 'sys_id' },
  { name: 'sys_created_on', label: 'Created', type: 'glide_date_time' },
  { name: 'sys_created_by', label: 'Created by', type: 'string' },
  { name: 'sys_updated_on', label: 'Updated', type: 'glide_date_time' },
  { name: 'sys_updated_by', label: 'Updated by', type: 'string' },
  { name: 'sys_mod_count', label: 'Updates', type: 'integer', defaultValue: '0' },
  { name: 'sys_tags', label: 'Tags', type: 'string' },
  {
    name: 'sys_class_name',
    label: 'Class',
    type: 'choice',
    choices: [...TABLES.values()].map((t) => ({ value: t.name, label: t.label })),
  },
  // Without domain separation every record sits in `global`, a reference into sys_user_group.
  { name: 'sys_domain', label: 'Domain', type: 'reference', reference: 'sys_user_group', defaultValue: 'global' },
  { name: 'sys_domain_path', label: 'Domain path', type: 'string', defaultValue: '/' },
];

/** The table called `name`, or undefined when the instance has no such table. */
export function getTable(name: string): TableDef | undefined {
  return TABLES.get(name);
}

/** Every table of the model. */
export function tableNames(): string[] {
  return [...TABLES.keys()];
}

/** `incident` → `['incident', 'task']`: the table first, then each parent up to the root. */
export function ancestorsOf(name: string): string[] {
  const chain: string[] = [];
  for (let t = TABLES.get(name); t; t = t.parent ? TABLES.get(t.parent) : undefined) chain.push(t.name);
  return chain;
}

/** The table at the top of `name`'s hierarchy (`cmdb_ci_linux_server` → `cmdb_ci`). */
export function rootOf(name: string): string {
  return ancestorsOf(name).at(-1) ?? name;
}

/** True when class `cls` is `ancestor` or extends it (the `INSTANCEOF` operator, docs/servicenow-behaviour.md §2.2). */
export function isInstanceOf(cls: string, ancestor: string): boolean {
  return ancestorsOf(cls).includes(ancestor);
}

const fieldCache = new Map<string, ReadonlyMap<string, FieldDef>>();

/** System fields, then inherited fields from the root down, a child's redefinition replacing the parent's in place. */
function fieldMap(name: string): ReadonlyMap<string, FieldDef> {
  const cached = fieldCache.get(name);
  if (cached) return cached;
  const byName = new Map<string, FieldDef>();
  const chain = ancestorsOf(name).reverse();
  if (chain.length > 0) for (const f of SYSTEM_FIELDS) byName.set(f.name, f);
  for (const t of chain) for (const f of TABLES.get(t)!.fields) byName.set(f.name, f);
  fieldCache.set(name, byName);
  return byName;
}

/**
 * All fields of a table in display order, system and inherited ones included; a child's redefinition
 * (incident's `state` choices) replaces the parent's. Empty for an unknown table.
 */
export function fieldsOf(name: string): FieldDef[] {
  return [...fieldMap(name).values()];
}

/** The field `field` of table `name`, own or inherited, or undefined. */
export function fieldOf(name: string, field: string): FieldDef | undefined {
  return fieldMap(name).get(field);
}

/** The nearest definition of a table property along the hierarchy (`displayField`, `inactiveStates`). */
function inherited<K extends keyof TableDef>(name: string, key: K): TableDef[K] | undefined {
  for (const t of ancestorsOf(name)) {
    const value = TABLES.get(t)![key];
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The field whose value represents a row of `name` when referenced; undefined when none does. */
export function displayFieldOf(name: string): string | undefined {
  return inherited(name, 'displayField');
}

/** The `state` values at which a record of `name` is closed or canceled (docs/servicenow-behaviour.md §3.2, §3.4, §3.5). */
export function inactiveStatesOf(name: string): readonly string[] {
  return inherited(name, 'inactiveStates') ?? [];
}

/** The label of a choice value, or the value itself when the field does not list it. */
export function choiceLabel(field: FieldDef, value: string): string {
  return field.choices?.find((c) => c.value === value)?.label ?? value;
}
