/**
 * ServiceNow encoded queries (https://www.servicenow.com/docs/r/platform-user-interface/c_EncodedQueryStrings.html): one pure parser, printer and evaluator for the rule
 * matcher, the Table API poller and the sandbox.
 *
 * Choices where the reference is silent or marked [inf]:
 * - A `^` separates only where a separator can follow it (see `isSeparatorAt`); values with `^` are
 *   otherwise unsupported (docs/servicenow-behaviour.md §2.3) and the printer refuses what would not read back.
 * - An empty value is NULL for ordering (`>`, BETWEEN, date operators): no comparison with it holds.
 *   `!=`, NOT LIKE and NOT IN are plain negations, so they match empty values.
 * - Dates are UTC; weeks start on Monday; month arithmetic clamps to the month's last day.
 * - `javascript:` values are recognised by pattern and never run; related-list queries, hierarchies,
 *   tags and DYNAMIC options other than "Me" need the instance, so their terms are dropped (docs/servicenow-behaviour.md §1.2).
 */
export type {
  EncodedQuery,
  EvaluationContext,
  FieldReader,
  FieldValue,
  Operator,
  ParseResult,
  QueryProblem,
  Term,
} from './ast';
export { parseEncodedQuery, termsOf } from './parser';
export { printEncodedQuery } from './printer';
export { compileQuery, evaluateQuery, explainQuery } from './evaluator';
