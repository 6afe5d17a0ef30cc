import { ValidationError, type FieldProblem } from '../../errors';
import type { EncodedQuery, Term } from './ast';
import { FIELD_PATTERN, OPERATORS, canonicalToken, operatorAt } from './operators';
import { isSeparatorAt } from './separators';

/** Why a term cannot be written so that it reads back as itself, or undefined when it can. */
function termProblem(term: Term): string | undefined {
  if (!FIELD_PATTERN.test(term.field)) return `field ${JSON.stringify(term.field)} is not a column name`;
  const token = canonicalToken(term.operator);
  if (token === undefined) return `unknown operator ${JSON.stringify(term.operator)}`;
  if (term.value !== '' && !OPERATORS[term.operator].takesValue) return `${term.operator} takes no value`;
  if (operatorAt(token + term.value, 0)?.operator !== term.operator)
    return 'the value would be read as part of the operator';
  for (let i = term.value.indexOf('^'); i !== -1; i = term.value.indexOf('^', i + 1)) {
    if (isSeparatorAt(term.value, i))
      return 'the value contains ^ where it would be read as a separator (docs/servicenow-behaviour.md §2.3)';
  }
  return undefined;
}

function collectProblems(query: EncodedQuery): FieldProblem[] {
  const problems: FieldProblem[] = [];
  query.groups.forEach((group, g) =>
    group.forEach((clause, c) =>
      clause.forEach((term, t) => {
        const message = termProblem(term);
        if (message) problems.push({ path: `groups[${g}][${c}][${t}]`, message });
      }),
    ),
  );
  query.orderBy.forEach(({ field }, o) => {
    if (!FIELD_PATTERN.test(field))
      problems.push({ path: `orderBy[${o}].field`, message: `${JSON.stringify(field)} is not a column name` });
  });
  return problems;
}

function printTerm({ field, operator, value }: Term): string {
  return `${field}${OPERATORS[operator].tokens[0]}${value}`;
}

/**
 * Writes the canonical form of a query (canonical operator spellings, empty clauses left out), such
 * that parsing it gives the query back. Throws a ValidationError for a term that cannot be written
 * that way, such as a value with a `^` that would read as a separator (docs/servicenow-behaviour.md §2.3).
 */
export function printEncodedQuery(query: EncodedQuery): string {
  const problems = collectProblems(query);
  if (problems.length > 0) throw new ValidationError('encoded query', problems);
  const conditions = query.groups
    .map((group) =>
      group
        .filter((clause) => clause.length > 0)
        .map((clause) => clause.map(printTerm).join('^OR'))
        .join('^'),
    )
    .join('^NQ');
  const order = query.orderBy.map(({ field, descending }) => `^ORDERBY${descending ? 'DESC' : ''}${field}`).join('');
  return conditions === '' ? order.slice(1) : conditions + order;
}
