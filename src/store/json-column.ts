import { z } from 'zod';
import { SnowlineError } from '../errors';

/** Which stored value a JSON column belongs to: `runs.context` of run `<id>`. */
export interface ColumnOf {
  table: string;
  column: string;
  id: string | number;
}

/**
 * A stored JSON column that is not JSON, or not the shape its schema demands: a row altered by hand,
 * written by a broken build or truncated. Repeating the read cannot help, so it is not retryable; the
 * engine ends the record it belongs to (the event rejected, the step failed) with this message
 * rather than trying it again for ever.
 */
export class CorruptRowError extends SnowlineError {
  constructor(where: ColumnOf, problem: string) {
    super(
      'store.corrupt_row',
      `${where.table}.${where.column} of ${where.table} row ${where.id} is corrupt: ${problem}`,
      {
        details: { table: where.table, column: where.column, id: where.id },
      },
    );
  }
}

/** Parses one stored JSON column with its schema; a value that does not fit is a CorruptRowError naming the row. */
export function parseJsonColumn<S extends z.ZodType>(schema: S, where: ColumnOf, text: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CorruptRowError(where, `not JSON (${(err as Error).message})`);
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.output<S>;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new CorruptRowError(where, `${path}${issue.message}`);
}

/** Any JSON value (a step's params and result, a run's ticket-templated params). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export const jsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValueSchema),
    z.record(z.string(), jsonValueSchema),
  ]),
);

/** A JSON object whose fields the reader looks at one by one (audit details, alert figures). */
export const jsonObjectSchema = z.record(z.string(), z.unknown());
/** Field name → text: ServiceNow field updates, a ticket snapshot, a mapping file per name. */
export const textFieldsSchema = z.record(z.string(), z.string());
/** A list of names: a step's gates, a token's roles, a proposal's high-risk rules. */
export const nameListSchema = z.array(z.string());

/**
 * `read`, giving undefined for a corrupt row instead of throwing: for what is decided or shown
 * around a row that was already failed for its corruption (whose error names the column).
 */
export function ifReadable<A, R>(read: (row: A) => R): (row: A) => R | undefined {
  return (row) => {
    try {
      return read(row);
    } catch (err) {
      if (err instanceof CorruptRowError) return undefined;
      throw err;
    }
  };
}
