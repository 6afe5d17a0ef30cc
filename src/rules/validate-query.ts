import { parseEncodedQuery, termsOf } from './encoded-query';
import { resolveOperand } from './encoded-query/date-functions';
import { OPERATORS } from './encoded-query/operators';
import type { MappingCatalog } from './mapping-catalog';

type Report = (path: PropertyKey[], message: string, offset?: number) => void;

/**
 * Operators whose value names another field of the same record, possibly followed by `@unit…`
 * (`sys_updated_onSAMEASopened_at@day`, `sla_dueMORETHANactivity_due@day@before@1`). For every
 * other operator the value is data (a date like `2024-01-01@2024-02-01`, a list), never a field.
 */
const FIELD_VALUE_OPERATORS = new Set([
  'SAMEAS',
  'NSAMEAS',
  'GT_FIELD',
  'LT_FIELD',
  'GT_OR_EQUALS_FIELD',
  'LT_OR_EQUALS_FIELD',
  'MORETHAN',
  'LESSTHAN',
]);

/** The field a term's value names, for the operators that compare two fields. */
export function fieldNamedByValue(term: { operator: string; value: string }): string | undefined {
  if (!FIELD_VALUE_OPERATORS.has(term.operator)) return undefined;
  return term.value.split('@')[0] || undefined;
}

/** Operators meaningless without a value; `=` and `!=` with none compare to the empty string, as in ServiceNow. */
const VALUE_REQUIRED = new Set<string>(
  Object.entries(OPERATORS)
    .filter(([operator, spec]) => spec.takesValue && operator !== '=' && operator !== '!=')
    .map(([operator]) => operator),
);

/**
 * Checks an encoded query a rule gives (its condition, a schedule's query): syntax, operators
 * written without a value, and that every field exists on the table. `label` starts each message
 * (`condition`, `schedule.query`). With `evaluable`, a `javascript:` value Snowline cannot read is
 * refused too: an instance would run it, but the sandbox and dry-run would drop the term and so
 * answer a wider query than the instance.
 */
export function checkEncodedQuery(
  table: string,
  text: string,
  label: string,
  at: PropertyKey[],
  catalog: MappingCatalog,
  report: Report,
  options: { evaluable?: boolean } = {},
): void {
  const { query, problems } = parseEncodedQuery(text);
  for (const p of problems) report(at, `${label}: ${p.message} (${JSON.stringify(p.text)})`, p.offset);
  for (const term of termsOf(query)) {
    // ServiceNow silently ignores `priority>`; in a rule it is a typo that would change what matches.
    if (term.value === '' && VALUE_REQUIRED.has(term.operator))
      report(
        at,
        `${label}: ${JSON.stringify(term.raw)} has operator ${term.operator} but no value (write ${term.field}ISEMPTY to test for empty)`,
        term.offset,
      );
    if (options.evaluable && unreadableScript(term.value))
      report(
        at,
        `${label}: ${JSON.stringify(term.raw)}: ${term.value} is not a date function Snowline can evaluate (gs.daysAgoStart(n), gs.hoursAgo(n), gs.beginningOfToday(), gs.dateGenerate(…)…)`,
        term.offset,
      );
    const other = fieldNamedByValue(term);
    for (const field of other ? [term.field, other] : [term.field]) {
      if (catalog.fieldExists(table, field)) continue;
      const walk = field.includes('.')
        ? ' (a dot-walk goes through reference fields to a field of the referenced table)'
        : '';
      report(at, `${label}: unknown field ${field} on table ${table}${walk}`, term.offset);
    }
  }
}

/** A `javascript:` value (alone, or as a bound of BETWEEN / ON) that the evaluator cannot read. */
function unreadableScript(value: string): boolean {
  return value
    .split('@')
    .filter((part) => part.startsWith('javascript:'))
    .some((part) => !/gs\.getUserID\(\)/.test(part) && resolveOperand(part, undefined) === undefined);
}
