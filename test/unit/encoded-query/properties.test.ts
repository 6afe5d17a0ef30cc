import fc from 'fast-check';
import { ValidationError } from '../../../src/errors';
import {
  compileQuery,
  evaluateQuery,
  explainQuery,
  parseEncodedQuery,
  printEncodedQuery,
  type EncodedQuery,
  type Operator,
  type Term,
} from '../../../src/rules/encoded-query';
import { OPERATORS } from '../../../src/rules/encoded-query/operators';
import { recordOf } from './record';

const operators = Object.keys(OPERATORS) as Operator[];
const tokens = Object.values(OPERATORS).flatMap((spec) => spec.tokens);
const separators = ['^', '^OR', '^NQ', '^EQ', '^ORDERBY', '^ORDERBYDESC', '^RLQUERY', '^ENDRLQUERY', 'ORDERBY'];
const pieces = [
  'a',
  'state',
  'caller_id.email',
  '_x',
  'Z',
  '1',
  '2025-01-01 00:00:00',
  ',',
  '@',
  ' ',
  'é',
  '😀',
  'javascript:gs.daysAgoStart(1)',
];

/** Text made of the grammar's own tokens, where the parser's decisions are made. */
const tokenSoup = fc
  .array(fc.constantFrom(...tokens, ...separators, ...pieces), { maxLength: 25 })
  .map((parts) => parts.join(''));

const field = fc.stringMatching(/^[a-z_][a-z0-9_.]{0,10}$/);
const value = fc.string({ unit: fc.constantFrom(...tokens, ...separators, ...pieces, 'x', 'Y'), maxLength: 6 });

const term: fc.Arbitrary<Term> = fc
  .record({ field, operator: fc.constantFrom(...operators), value })
  .map(({ field, operator, value }) => ({
    field,
    operator,
    value: OPERATORS[operator].takesValue ? value : '',
    raw: '',
    offset: 0,
  }));

/** Queries in the parser's normal form: at least one group, no empty clauses. */
const query: fc.Arbitrary<EncodedQuery> = fc.record({
  groups: fc.array(fc.array(fc.array(term, { minLength: 1, maxLength: 3 }), { maxLength: 3 }), {
    minLength: 1,
    maxLength: 3,
  }),
  orderBy: fc.array(fc.record({ field, descending: fc.boolean() }), { maxLength: 2 }),
});

function withoutSource(q: EncodedQuery): unknown {
  return {
    ...q,
    groups: q.groups.map((g) => g.map((c) => c.map(({ field, operator, value }) => ({ field, operator, value })))),
  };
}

/** print, or undefined when the query cannot be written (which must be a ValidationError). */
function tryPrint(q: EncodedQuery): string | undefined {
  try {
    return printEncodedQuery(q);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return undefined;
  }
}

describe('properties', () => {
  it('parse(print(q)) gives q back, and print(parse(print(q))) === print(q)', () => {
    let printed = 0;
    fc.assert(
      fc.property(query, (q) => {
        const text = tryPrint(q);
        if (text === undefined) return;
        printed++;
        const reparsed = parseEncodedQuery(text);
        expect(reparsed.problems).toEqual([]);
        expect(withoutSource(reparsed.query)).toEqual(withoutSource(q));
        expect(printEncodedQuery(reparsed.query)).toBe(text);
      }),
      { numRuns: 500 },
    );
    // The generator must mostly produce printable queries, or the property says little.
    expect(printed).toBeGreaterThan(100);
  });

  it.each([
    ['fc.string()', fc.string()],
    ['fc.string({ unit: "binary" }) (full Unicode)', fc.string({ unit: 'binary' })],
    ['operator tokens and ^ separators', tokenSoup],
  ])('never throws on %s, and what it keeps prints to a fixed point', (_, text) => {
    fc.assert(
      fc.property(text, (source) => {
        const { query: parsed } = parseEncodedQuery(source);
        const printed = printEncodedQuery(parsed);
        const reparsed = parseEncodedQuery(printed);
        expect(reparsed.problems).toEqual([]);
        expect(printEncodedQuery(reparsed.query)).toBe(printed);
      }),
      { numRuns: 500 },
    );
  });

  it('compileQuery, evaluateQuery and explainQuery agree, and never throw', () => {
    const cell = fc.option(fc.constantFrom('', '1', '2', '10', 'x', 'a^b', '2025-03-12 10:00:00', '2025-03-11'), {
      nil: undefined,
    });
    const fields = fc.dictionary(fc.constantFrom('a', 'state', 'caller_id.email', '_x', 'x1'), cell);
    const ctx = fc.record({
      invalidTerms: fc.constantFrom('drop' as const, 'no-match' as const),
      userId: fc.option(fc.constant('1'), { nil: undefined }),
    });
    fc.assert(
      fc.property(tokenSoup, fields, fields, ctx, (source, current, before, context) => {
        const { query: parsed } = parseEncodedQuery(source);
        const record = recordOf(
          Object.fromEntries(Object.entries(current).filter(([, v]) => v !== undefined)) as Record<string, string>,
        );
        const run = { now: new Date('2025-03-12T10:30:00Z'), previous: recordOf(before as Record<string, string>) };
        const expected = evaluateQuery(parsed, record, { ...context, ...run });
        expect(compileQuery(parsed, context)(record, run)).toBe(expected);
        expect(explainQuery(parsed, record, { ...context, ...run }).matched).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});
