import { parseEncodedQuery } from '../rules/encoded-query';

/**
 * Field values that satisfy a rule's encoded query, for tickets the load test creates: the first
 * alternative of each clause of the first group, for the operators a value can be read from
 * (=, LIKE, STARTSWITH, ENDSWITH, IN). Dot-walked fields and other operators need `--set`.
 */
export function exampleRecord(condition: string, sequence: number): Record<string, string> {
  const record: Record<string, string> = {};
  const group = parseEncodedQuery(condition).query.groups[0] ?? [];
  for (const clause of group) {
    const term = clause[0];
    if (!term || term.field.includes('.')) continue;
    const value = {
      '=': term.value,
      LIKE: `loadtest-${sequence} ${term.value} host-${sequence}`,
      STARTSWITH: `${term.value} loadtest ${sequence}`,
      ENDSWITH: `loadtest ${sequence} ${term.value}`,
      IN: term.value.split(',')[0] ?? '',
    }[term.operator as string];
    if (value !== undefined) record[term.field] = value;
  }
  return record;
}
