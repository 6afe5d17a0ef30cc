import { parseEncodedQuery, termsOf, type EncodedQuery, type Operator } from '../../../src/rules/encoded-query';
import { OPERATORS } from '../../../src/rules/encoded-query/operators';

/** The query's structure as `field operator value` strings, without raw/offset. */
function shape(query: EncodedQuery): string[][][] {
  return query.groups.map((group) => group.map((clause) => clause.map((t) => `${t.field} ${t.operator} ${t.value}`)));
}

function parseClean(text: string): EncodedQuery {
  const { query, problems } = parseEncodedQuery(text);
  expect(problems).toEqual([]);
  return query;
}

describe('parseEncodedQuery: separators (servicenow-behaviour §2.1)', () => {
  it('^ is AND: one clause per condition', () => {
    expect(shape(parseClean('active=true^priority=1'))).toEqual([[['active = true'], ['priority = 1']]]);
  });

  it('^OR binds tighter than ^: a^b^ORc = a AND (b OR c)', () => {
    expect(shape(parseClean('a=1^b=2^ORc=3'))).toEqual([[['a = 1'], ['b = 2', 'c = 3']]]);
  });

  it('^OR binds tighter than ^: a^ORb^c = (a OR b) AND c', () => {
    expect(shape(parseClean('a=1^ORb=2^c=3'))).toEqual([[['a = 1', 'b = 2'], ['c = 3']]]);
  });

  it('^NQ starts a new group: (A AND B) OR (C AND D)', () => {
    expect(shape(parseClean('active=true^priority=1^NQactive=false^category=hardware'))).toEqual([
      [['active = true'], ['priority = 1']],
      [['active = false'], ['category = hardware']],
    ]);
  });

  it('^ORDERBY and ^ORDERBYDESC sort in order, and ORDERBY may open the text', () => {
    expect(parseClean('active=true^ORDERBYpriority^ORDERBYDESCsys_updated_on').orderBy).toEqual([
      { field: 'priority', descending: false },
      { field: 'sys_updated_on', descending: true },
    ]);
    const onlyOrder = parseClean('ORDERBYnumber');
    expect(onlyOrder).toEqual({ groups: [[]], orderBy: [{ field: 'number', descending: false }] });
    expect(parseClean('ORDERBYDESCnumber').orderBy).toEqual([{ field: 'number', descending: true }]);
  });

  it('ORDERBY takes a lowercase field: ORDERBYdescription sorts ascending on description', () => {
    expect(parseClean('ORDERBYdescription').orderBy).toEqual([{ field: 'description', descending: false }]);
  });

  it('a trailing ^EQ has no effect', () => {
    expect(shape(parseClean('active=true^EQ'))).toEqual([[['active = true']]]);
  });

  it('text glued to ^EQ is reported', () => {
    const { problems } = parseEncodedQuery('active=true^EQfoo');
    expect(problems).toEqual([{ offset: 11, text: '^EQfoo', message: 'unexpected text after ^EQ' }]);
  });

  it('^RLQUERY…^ENDRLQUERY is reported as unsupported and skipped, with the conditions inside it', () => {
    const text = 'active=true^RLQUERYtask_sla.task,>=1^stage=breached^ENDRLQUERY^priority=1';
    const { query, problems } = parseEncodedQuery(text);
    expect(shape(query)).toEqual([[['active = true'], ['priority = 1']]]);
    expect(problems).toEqual([
      {
        offset: 11,
        text: '^RLQUERYtask_sla.task,>=1^stage=breached^ENDRLQUERY',
        message: 'related-list queries (^RLQUERY) are not supported',
        unsupported: true,
      },
    ]);
  });

  it('^JOIN is reported as unsupported, never glued onto the previous value', () => {
    const text = 'active=true^JOINincident.caller_id=sys_user.sys_id!active=true^priority=1';
    const { query, problems } = parseEncodedQuery(text);
    expect(shape(query)).toEqual([[['active = true'], ['priority = 1']]]);
    expect(problems).toEqual([
      {
        offset: 11,
        text: '^JOINincident.caller_id=sys_user.sys_id!active=true',
        message: 'JOIN queries (^JOIN) are not supported',
        unsupported: true,
      },
    ]);
  });

  it('an unterminated ^RLQUERY swallows the rest of the text', () => {
    const { query, problems } = parseEncodedQuery('active=true^RLQUERYtask_sla.task,>=1^priority=1');
    expect(shape(query)).toEqual([[['active = true']]]);
    expect(problems.map((p) => p.message)).toEqual(['related-list query (^RLQUERY) without ^ENDRLQUERY']);
  });

  it('empty text, a trailing ^ and a doubled ^ add nothing', () => {
    expect(parseClean('')).toEqual({ groups: [[]], orderBy: [] });
    expect(shape(parseClean('a=1^'))).toEqual([[['a = 1']]]);
    expect(shape(parseClean('a=1^^b=2'))).toEqual([[['a = 1'], ['b = 2']]]);
  });

  it('an empty group before ^NQ is kept (it matches everything)', () => {
    expect(shape(parseClean('^NQa=1'))).toEqual([[], [['a = 1']]]);
  });
});

describe('parseEncodedQuery: operators (servicenow-behaviour §2.2)', () => {
  const canonical = Object.entries(OPERATORS) as [Operator, (typeof OPERATORS)[Operator]][];

  it.each(canonical)('recognises %s after a field name', (operator, spec) => {
    const value = spec.takesValue ? 'x1' : '';
    const [term] = termsOf(parseClean(`u_field.name${spec.tokens[0]}${value}`));
    expect(term).toMatchObject({ field: 'u_field.name', operator, value });
  });

  it.each([
    ['short_descriptionNOT LIKEtest', 'NOT LIKE', 'test'],
    ['short_descriptionNOTLIKEtest', 'NOT LIKE', 'test'],
    ['short_description!*test', 'NOT LIKE', 'test'],
    ['short_description*outage', 'LIKE', 'outage'],
    ['short_description%outage', 'ENDSWITH', 'outage'],
    ['priority>=2', '>=', '2'],
    ['priority>2', '>', '2'],
    ['priority<=2', '<=', '2'],
    ['priority!=2', '!=', '2'],
    ['a==b', '=', '=b'],
    ['stateIN1,2,3', 'IN', '1,2,3'],
    ['priorityNOT IN4,5', 'NOT IN', '4,5'],
    ['sys_class_nameINSTANCEOFtask', 'INSTANCEOF', 'task'],
    ['managerIN_HIERARCHYh1@u1', 'IN_HIERARCHY', 'h1@u1'],
    ['managerIN_HIERARCHY_DYNAMICh1', 'IN_HIERARCHY_DYNAMIC', 'h1'],
    ['reassignment_countGT_OR_EQUALS_FIELDreopen_count', 'GT_OR_EQUALS_FIELD', 'reopen_count'],
    ['sla_dueNOTONToday@a@b', 'NOTON', 'Today@a@b'],
    ['sla_dueONToday@a@b', 'ON', 'Today@a@b'],
  ] as const)('reads %s with the longest operator token', (text, operator, value) => {
    expect(termsOf(parseClean(text))[0]).toMatchObject({ operator, value });
  });

  it('the field name ends where the lowercase column name ends; dot-walks are part of it', () => {
    expect(termsOf(parseClean('caller_id.department.name=IT'))[0]).toMatchObject({
      field: 'caller_id.department.name',
      value: 'IT',
    });
  });

  it('operators without a value reject one', () => {
    const { query, problems } = parseEncodedQuery('assigned_toISEMPTYx');
    expect(termsOf(query)).toEqual([]);
    expect(problems).toEqual([{ offset: 0, text: 'assigned_toISEMPTYx', message: 'ISEMPTY takes no value' }]);
  });

  it('EMPTY is a UI label, not an operator of the query string', () => {
    expect(parseEncodedQuery('impactEMPTY').problems).toHaveLength(1);
  });
});

describe('parseEncodedQuery: problems (servicenow-behaviour §1.2)', () => {
  it('an unreadable term is reported and left out; the rest is kept', () => {
    const { query, problems } = parseEncodedQuery('Active=true^priority=1^stateBOGUS2');
    expect(shape(query)).toEqual([[['priority = 1']]]);
    expect(problems).toEqual([
      { offset: 0, text: 'Active=true', message: 'expected a field name (a lowercase column name)' },
      { offset: 23, text: 'stateBOGUS2', message: 'expected an operator after field state' },
    ]);
  });

  it('a clause loses an unreadable alternative and keeps the others', () => {
    const { query } = parseEncodedQuery('a=1^stateISEMPTYx^ORb=2');
    expect(shape(query)).toEqual([[['a = 1'], ['b = 2']]]);
  });

  it('a clause whose alternatives are all unreadable is removed', () => {
    const { query } = parseEncodedQuery('a=1^bISEMPTYx^OR1y');
    expect(shape(query)).toEqual([[['a = 1']]]);
  });

  it('reports a bad ORDERBY field', () => {
    expect(parseEncodedQuery('a=1^ORDERBYNumber').problems).toEqual([
      { offset: 3, text: '^ORDERBYNumber', message: 'expected a field name after ORDERBY' },
    ]);
  });
});

describe('parseEncodedQuery: values (servicenow-behaviour §2.3)', () => {
  it('a ^ that no separator can follow stays in the value', () => {
    expect(termsOf(parseClean('short_descriptionLIKEA^B^priority=1'))[0]!.value).toBe('A^B');
    expect(termsOf(parseClean('short_descriptionLIKE1^2'))[0]!.value).toBe('1^2');
  });

  it('a ^ followed by a keyword or a lowercase name always separates', () => {
    expect(shape(parseClean('short_descriptionLIKEx^ORpriority=1'))).toEqual([
      [['short_description LIKE x', 'priority = 1']],
    ]);
    expect(shape(parseClean('short_descriptionLIKEx^state=1'))).toEqual([
      [['short_description LIKE x'], ['state = 1']],
    ]);
    expect(parseEncodedQuery('short_descriptionLIKEa^b').problems).toEqual([
      { offset: 23, text: 'b', message: 'expected an operator after field b' },
    ]);
  });

  it('keeps each term’s source text and offset', () => {
    const terms = termsOf(parseClean('active=true^ORpriority<=2^NQstateIN1,2'));
    expect(terms.map(({ raw, offset }) => [raw, offset])).toEqual([
      ['active=true', 0],
      ['priority<=2', 14],
      ['stateIN1,2', 28],
    ]);
  });
});

describe('parseEncodedQuery: reference examples (servicenow-behaviour §2.4)', () => {
  it.each([
    'active=true^priority<=2^ORDERBYDESCsys_updated_on',
    'caller_id=javascript:gs.getUserID()^active=true',
    'stateIN1,2,3^assignment_group=287ebd7da9fe198100f92cc8d1d2154e',
    'caller_id.department.name=IT^short_descriptionLIKEvpn',
    'caller_id=abc^ORopened_by=abc^ORassigned_to=abc',
    'short_descriptionISEMPTY^NQdescriptionISNOTEMPTY',
    'sys_created_onONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()',
    "sys_updated_on>=javascript:gs.dateGenerate('2025-01-01', '12:00:01')^ORDERBYsys_updated_on",
    'testBETWEENjavascript:gs.dateGenerate("1970-01-01 00:00:00")@javascript:gs.dateGenerate("1970-01-02 00:00:00")',
  ])('parses %s without problems', (text) => {
    expect(parseEncodedQuery(text).problems).toEqual([]);
  });

  it('the backstage OR chain is one clause of three terms', () => {
    expect(shape(parseClean('caller_id=abc^ORopened_by=abc^ORassigned_to=abc'))).toEqual([
      [['caller_id = abc', 'opened_by = abc', 'assigned_to = abc']],
    ]);
  });

  it('ISEMPTY^NQISNOTEMPTY is two groups', () => {
    expect(shape(parseClean('short_descriptionISEMPTY^NQdescriptionISNOTEMPTY'))).toEqual([
      [['short_description ISEMPTY ']],
      [['description ISNOTEMPTY ']],
    ]);
  });
});

describe('termsOf', () => {
  it('lists every term of every group in source order', () => {
    const terms = termsOf(parseClean('a=1^ORb=2^c=3^NQd=4'));
    expect(terms.map((t) => t.field)).toEqual(['a', 'b', 'c', 'd']);
  });
});
