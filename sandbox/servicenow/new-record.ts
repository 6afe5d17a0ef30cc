import { fieldsOf } from '../../connectors/servicenow/dictionary';
import { glideDateTime, newSysId } from './glide-values';

/** Who writes and when: the authenticated user_name and a raw date-time (docs/servicenow-behaviour.md §1.4). */
export interface WriteStamp {
  user: string;
  on: string;
}

export function writeStamp(user: string, at: Date): WriteStamp {
  return { user, on: glideDateTime(at) };
}

/**
 * A complete row of `table` as an insert creates it: every field present, with its default or
 * `""`, then `values`, then the system fields (docs/servicenow-behaviour.md §1.4; `sys_mod_count` 0 on insert).
 */
export function newRecord(
  table: string,
  values: Record<string, string>,
  stamp: WriteStamp,
  sysId = newSysId(),
): Record<string, string> {
  const row: Record<string, string> = {};
  for (const field of fieldsOf(table)) row[field.name] = field.defaultValue ?? '';
  return {
    ...row,
    ...values,
    sys_id: sysId,
    sys_class_name: table,
    sys_created_on: stamp.on,
    sys_created_by: stamp.user,
    sys_updated_on: stamp.on,
    sys_updated_by: stamp.user,
    sys_mod_count: '0',
  };
}
