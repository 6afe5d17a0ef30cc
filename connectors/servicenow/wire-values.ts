import { z } from 'zod';
import { ConnectorError } from '../../src/errors';

/**
 * Wire values: ServiceNow sends every scalar as a JSON string (`"priority":"3"`, `"active":"true"`);
 * these readers convert at the edge, so the rest of Snowline never sees a number hidden in a string,
 * and the writers turn Snowline's values back into wire strings.
 */

/**
 * A field as the Table API sends it: a string, or (for references and `sysparm_display_value=all`)
 * an object with `value` / `display_value` / `link`.
 */
export type FieldValue = string | { value?: string; display_value?: string; link?: string } | null | undefined;

function invalid(kind: string, value: unknown): ConnectorError {
  return new ConnectorError(
    'servicenow',
    'permanent',
    'invalid_value',
    `expected ${kind}, got ${JSON.stringify(value)?.slice(0, 80)}`,
    {
      details: { expected: kind },
    },
  );
}

/** The raw value of a field: the string itself, or `.value` of a reference / `display_value=all` object. */
export function rawValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && 'value' in value) {
    const inner = (value as { value?: unknown }).value;
    return inner === null || inner === undefined ? undefined : String(inner);
  }
  throw invalid('a field value', value);
}

/** Reads an integer field (`"4"` → 4); `""` → undefined. Throws `servicenow.invalid_value` otherwise. */
export function asInt(value: unknown): number | undefined {
  const text = rawValue(value);
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d{1,15}$/.test(text.trim())) throw invalid('an integer', text);
  return Number(text.trim());
}

/** Reads a boolean field (`"true"` / `"false"`, also `"1"` / `"0"`); `""` → undefined. */
export function asBool(value: unknown): boolean | undefined {
  const text = rawValue(value);
  if (text === undefined || text === '') return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw invalid('true or false', text);
}

const GLIDE_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Reads a raw date-time field (`yyyy-MM-dd HH:mm:ss`, always UTC); `""` → undefined. */
export function asDateTime(value: unknown): Date | undefined {
  const text = rawValue(value);
  if (text === undefined || text === '') return undefined;
  const m = GLIDE_DATE_TIME.exec(text);
  if (!m) throw invalid('a date-time "yyyy-MM-dd HH:mm:ss"', text);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    throw invalid('a valid date-time', text);
  return date;
}

/** Writes a date as ServiceNow's raw UTC date-time (`2025-01-22 14:28:24`). */
export function toDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Converts a value Snowline wants to write into its wire string (`null` clears the field). */
export function toWire(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value === 'number' && !Number.isFinite(value)) throw invalid('a finite number', value);
  return String(value);
}

/** zod schemas for result shapes built from wire strings. */
export const wire = {
  int: z.unknown().transform((v, ctx) => {
    try {
      const n = asInt(v);
      if (n === undefined) ctx.addIssue({ code: 'custom', message: 'expected an integer, got an empty value' });
      return n ?? 0;
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
  dateTime: z.unknown().transform((v, ctx) => {
    try {
      return asDateTime(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
};
