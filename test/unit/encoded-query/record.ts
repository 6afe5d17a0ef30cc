import {
  evaluateQuery,
  parseEncodedQuery,
  type EvaluationContext,
  type FieldReader,
  type FieldValue,
} from '../../../src/rules/encoded-query';

/** A record whose fields are exactly those given; any other path does not exist on the table. */
export function recordOf(fields: Record<string, string | FieldValue>): FieldReader {
  return {
    read(path) {
      const field = fields[path];
      return typeof field === 'string' ? { value: field } : field;
    },
  };
}

/** Parses a query that must be free of problems and evaluates it against the record. */
export function matches(query: string, fields: Record<string, string | FieldValue>, ctx?: EvaluationContext): boolean {
  const parsed = parseEncodedQuery(query);
  expect(parsed.problems).toEqual([]);
  return evaluateQuery(parsed.query, recordOf(fields), ctx);
}
