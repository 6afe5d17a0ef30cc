import { fieldsOf, type FieldDef } from '../../connectors/servicenow/dictionary';
import { journalHistory } from './journal';
import { displayValueOf, resolvePath, type ResolvedField } from './record-reader';
import type { RecordStore, RecordValues } from './record-store';
import { inTimeZone } from './user-time-zone';

/** `sysparm_display_value`: raw values, display values, or both (docs/servicenow-behaviour.md §1.4). */
export type DisplayMode = 'false' | 'true' | 'all';

/** How a record is to be shown (the read parameters of docs/servicenow-behaviour.md §1.2). */
export interface ViewOptions {
  /** `sysparm_fields`, possibly dot-walked; all fields of the table when absent. */
  fields?: string[];
  displayValue: DisplayMode;
  excludeReferenceLink: boolean;
}

/** One field on the wire: a string, or an object for references and `display_value=all`. */
export type FieldView = string | { display_value?: string; link?: string; value?: string };

/** What rendering needs: the rows that references point at, and the URL base of their links. */
export interface ViewContext {
  store: RecordStore;
  baseUrl: string;
  /** The session user's time zone, for date-time display values (default GMT). */
  timeZone?: string;
}

/**
 * A record as the Table API returns it (docs/servicenow-behaviour.md §1.4): every value a string, references as `{link, value}`,
 * journal fields `""`; dot-walked `sysparm_fields` appear under their literal path
 * (`"caller_id.email"`); unknown names are left out.
 */
export function renderRecord(
  ctx: ViewContext,
  table: string,
  row: RecordValues,
  options: ViewOptions,
): Record<string, FieldView> {
  const paths = options.fields ?? fieldsOf(table).map((f) => f.name);
  const result: Record<string, FieldView> = {};
  for (const path of paths) {
    const resolved = resolvePath(ctx.store, table, row, path);
    if (resolved) result[path] = renderField(ctx, resolved, options);
  }
  return result;
}

function renderField(ctx: ViewContext, resolved: ResolvedField, options: ViewOptions): FieldView {
  const { field, value, holder } = resolved;
  if (field.type === 'journal') {
    // docs/servicenow-behaviour.md §3.6: raw reads give "", display reads the entries, newest first [inf].
    const history = options.displayValue === 'false' || !holder ? '' : journalHistory(ctx.store, holder, field.name);
    return byMode(options.displayValue, '', history);
  }
  if (field.type === 'reference') return renderReference(ctx, field, value, options);
  if (field.type === 'glide_date_time')
    return byMode(options.displayValue, value, inTimeZone(value, ctx.timeZone ?? 'GMT'));
  if (field.type === 'password') return byMode(options.displayValue, maskedPassword(value), maskedPassword(value));
  return byMode(options.displayValue, value, displayValueOf(ctx.store, field, value));
}

function byMode(mode: DisplayMode, value: string, display: string): FieldView {
  if (mode === 'all') return { display_value: display, value };
  return mode === 'true' ? display : value;
}

/** How a reference field is shown under each display setting (docs/servicenow-behaviour.md §1.4). */
function renderReference(ctx: ViewContext, field: FieldDef, value: string, options: ViewOptions): FieldView {
  const mode = options.displayValue;
  if (value === '' || options.excludeReferenceLink) return byMode(mode, value, displayValueOf(ctx.store, field, value));
  const link = `${ctx.baseUrl}/api/now/table/${field.reference}/${value}`;
  if (mode === 'false') return { link, value };
  const display = displayValueOf(ctx.store, field, value);
  return mode === 'true' ? { display_value: display, link } : { display_value: display, link, value };
}

/** A password is never shown: a set one reads back as eight asterisks, as on an instance. */
export function maskedPassword(value: string): string {
  return value === '' ? '' : '********';
}
