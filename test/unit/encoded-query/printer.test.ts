import { ValidationError } from '../../../src/errors';
import {
  parseEncodedQuery,
  printEncodedQuery,
  type EncodedQuery,
  type Operator,
  type Term,
} from '../../../src/rules/encoded-query';

function term(field: string, operator: Operator, value = ''): Term {
  return { field, operator, value, raw: '', offset: 0 };
}

function query(groups: Term[][][], orderBy: EncodedQuery['orderBy'] = []): EncodedQuery {
  return { groups, orderBy };
}

const reprint = (text: string) => printEncodedQuery(parseEncodedQuery(text).query);

describe('printEncodedQuery', () => {
  it.each([
    'active=true^priority<=2^ORDERBYDESCsys_updated_on',
    'caller_id=javascript:gs.getUserID()^active=true',
    'stateIN1,2,3^assignment_group=287ebd7da9fe198100f92cc8d1d2154e',
    'caller_id.department.name=IT^short_descriptionLIKEvpn',
    'caller_id=abc^ORopened_by=abc^ORassigned_to=abc',
    'short_descriptionISEMPTY^NQdescriptionISNOTEMPTY',
    'sys_created_onONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()',
    'priorityNOT IN4,5^short_descriptionNOT LIKEtest',
  ])('writes the canonical %s back unchanged (servicenow-behaviour §2.4)', (text) => {
    expect(reprint(text)).toBe(text);
  });

  it('writes aliases in their canonical spelling (servicenow-behaviour §2.2)', () => {
    expect(reprint('a*x^b!*y^cNOTLIKEz^d%w')).toBe('aLIKEx^bNOT LIKEy^cNOT LIKEz^dENDSWITHw');
  });

  it('drops what the parser ignores: ^EQ, empty conditions, unreadable terms', () => {
    expect(reprint('active=true^^Active=false^EQ')).toBe('active=true');
  });

  it('writes ORDERBY without a leading ^ when there are no conditions (servicenow-behaviour §2.1)', () => {
    expect(
      printEncodedQuery(
        query(
          [[]],
          [
            { field: 'number', descending: false },
            { field: 'priority', descending: true },
          ],
        ),
      ),
    ).toBe('ORDERBYnumber^ORDERBYDESCpriority');
  });

  it('keeps empty groups, so that the union still matches everything (servicenow-behaviour §2.1)', () => {
    expect(printEncodedQuery(query([[], [[term('a', '=', '1')]]]))).toBe('^NQa=1');
  });

  it('leaves out empty clauses', () => {
    expect(printEncodedQuery(query([[[], [term('a', 'ISEMPTY')]]]))).toBe('aISEMPTY');
  });

  it.each([
    ['a value with a ^ that would separate (servicenow-behaviour §2.3)', term('short_description', 'LIKE', 'x^ORy')],
    ['a value with a ^ before a lowercase name (servicenow-behaviour §2.3)', term('short_description', 'LIKE', 'x^y')],
    ['a field that is not a column name', term('Short description', '=', 'x')],
    ['a value on an operator that takes none', term('assigned_to', 'ISEMPTY', 'x')],
    ['a value read as part of the operator (IN + STANCEOF…)', term('sys_class_name', 'IN', 'STANCEOFtask')],
    ['a value read as part of the operator (> + =1)', term('priority', '>', '=1')],
    ['an unknown operator', term('a', 'EQUALS' as Operator, 'x')],
  ])('throws a ValidationError for %s', (_, bad) => {
    expect(() => printEncodedQuery(query([[[bad]]]))).toThrow(ValidationError);
  });

  it('names the offending term in the error', () => {
    const bad = query([[[term('a', '=', '1')], [term('b', '=', '1'), term('c', 'LIKE', 'x^NQy')]]]);
    expect(() => printEncodedQuery(bad)).toThrow(/groups\[0\]\[1\]\[1\]/);
  });

  it('accepts a ^ that cannot be read as a separator (servicenow-behaviour §2.3)', () => {
    expect(printEncodedQuery(query([[[term('short_description', 'LIKE', 'A^B')]]]))).toBe('short_descriptionLIKEA^B');
  });

  it('rejects an ORDERBY field that is not a column name', () => {
    expect(() => printEncodedQuery(query([[]], [{ field: 'Number', descending: false }]))).toThrow(ValidationError);
  });
});
