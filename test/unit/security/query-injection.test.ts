import fc from 'fast-check';
import { queryValue } from '../../../connectors/servicenow/schemas';
import { parseEncodedQuery, termsOf } from '../../../src/rules/encoded-query';
import { hostileStrings } from '../../helpers/hostile-corpus';

/**
 * Ticket text that Snowline puts into an encoded query (https://www.servicenow.com/docs/r/platform-user-interface/c_EncodedQueryStrings.html: `^` cannot be
 * escaped) either stays one condition with exactly that value, or is refused before any request.
 */
describe('encoded-query values built from ticket text', () => {
  const hostile = [
    'web-01^ORactive=false',
    'x^NQsys_id!=0',
    'INC0010001^ORDERBYDESCnumber',
    'a^EQ',
    'line\nbreak',
    'carriage\rreturn',
    '^',
  ];

  it.each(hostile)('refuses %j with servicenow.bad_query_value', (text) => {
    expect(() => queryValue(text)).toThrow(
      expect.objectContaining({ code: 'servicenow.bad_query_value', retryable: false }),
    );
  });

  it.each(hostileStrings('/nonexistent/sentinel').map((h) => [h.id, h.value] as const))(
    'hostile corpus %s: refused when it holds ^ or a line break or starts with javascript:, else one condition with exactly that value',
    (_id, text) => {
      if (text.includes('^') || /[\r\n]/.test(text) || /^\s*javascript\s*:/i.test(text)) {
        expect(() => queryValue(text)).toThrow(expect.objectContaining({ code: 'servicenow.bad_query_value' }));
        return;
      }
      const terms = termsOf(parseEncodedQuery(`short_description=${queryValue(text)}^active=true`).query);
      expect(terms.map((t) => [t.field, t.value])).toEqual([
        ['short_description', text],
        ['active', 'true'],
      ]);
    },
  );

  it('keeps any other text as the value of one single condition', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => {
        let value: string;
        try {
          value = queryValue(text);
        } catch {
          return text.includes('^') || /[\r\n]/.test(text) || /^\s*javascript\s*:/i.test(text);
        }
        const terms = termsOf(parseEncodedQuery(`short_description=${value}^active=true`).query);
        return (
          terms.length === 2 &&
          terms[0]!.field === 'short_description' &&
          terms[0]!.value === text &&
          terms[1]!.field === 'active'
        );
      }),
      { numRuns: 2000 },
    );
  });
});
