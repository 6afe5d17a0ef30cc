const NUMBER = /^-?\d+(?:\.\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2})?$/;

/** Compares a record's value with a fixed operand: negative, zero or positive; undefined when either is empty. */
export type Comparator = (value: string) => number | undefined;

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// A date alone is midnight of that day; padded, both forms compare correctly as text.
function dateKey(date: string): string {
  return date.length === 10 ? `${date} 00:00:00` : date;
}

/**
 * The ordering of `>`, `BETWEEN`, `GT_FIELD`…: numbers numerically (`10` > `2`), dates and
 * date-times chronologically, anything else as text. An empty value is NULL to the database, so
 * it is in no order with anything (every comparison with it is false).
 */
export function comparatorFor(operand: string): Comparator {
  if (operand === '') return () => undefined;
  if (NUMBER.test(operand)) {
    const number = Number(operand);
    return (value) =>
      value === '' ? undefined : NUMBER.test(value) ? Number(value) - number : compareText(value, operand);
  }
  if (DATE.test(operand)) {
    const key = dateKey(operand);
    return (value) =>
      value === '' ? undefined : DATE.test(value) ? compareText(dateKey(value), key) : compareText(value, operand);
  }
  return (value) => (value === '' ? undefined : compareText(value, operand));
}

/** {@link comparatorFor} for two values known only at evaluation (field against field). */
export function compareValues(value: string, operand: string): number | undefined {
  return comparatorFor(operand)(value);
}
