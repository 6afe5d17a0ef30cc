import {
  compileQuery,
  evaluateQuery,
  explainQuery,
  parseEncodedQuery,
  type FieldReader,
} from '../../../src/rules/encoded-query';
import { matches, recordOf } from './record';

const parse = (text: string) => parseEncodedQuery(text).query;

describe('evaluateQuery: precedence (servicenow-behaviour §2.1, §2.4)', () => {
  const bits = (a: boolean, b: boolean, c: boolean) => ({ a: a ? '1' : '0', b: b ? '1' : '0', c: c ? '1' : '0' });
  const cases = [false, true].flatMap((a) =>
    [false, true].flatMap((b) => [false, true].map((c) => [a, b, c] as const)),
  );

  it.each(cases)('a^b^ORc = a AND (b OR c) for a=%s b=%s c=%s', (a, b, c) => {
    expect(matches('a=1^b=1^ORc=1', bits(a, b, c))).toBe(a && (b || c));
  });

  it.each(cases)('a^ORb^c = (a OR b) AND c for a=%s b=%s c=%s', (a, b, c) => {
    expect(matches('a=1^ORb=1^c=1', bits(a, b, c))).toBe((a || b) && c);
  });

  it('^NQ: (active AND P1) OR (inactive AND hardware)', () => {
    const query = 'active=true^priority=1^NQactive=false^category=hardware';
    expect(matches(query, { active: 'true', priority: '1', category: 'software' })).toBe(true);
    expect(matches(query, { active: 'false', priority: '3', category: 'hardware' })).toBe(true);
    expect(matches(query, { active: 'true', priority: '3', category: 'hardware' })).toBe(false);
  });

  it('active=true^priority<=2^ORDERBYDESCsys_updated_on filters; ORDERBY does not', () => {
    const query = 'active=true^priority<=2^ORDERBYDESCsys_updated_on';
    expect(matches(query, { active: 'true', priority: '2', sys_updated_on: '' })).toBe(true);
    expect(matches(query, { active: 'true', priority: '3', sys_updated_on: '' })).toBe(false);
  });

  it('caller_id=javascript:gs.getUserID() is the context user', () => {
    expect(
      matches('caller_id=javascript:gs.getUserID()^active=true', { caller_id: 'u1', active: 'true' }, { userId: 'u1' }),
    ).toBe(true);
    expect(
      matches('caller_id=javascript:gs.getUserID()^active=true', { caller_id: 'u2', active: 'true' }, { userId: 'u1' }),
    ).toBe(false);
  });

  it('ISEMPTY^NQISNOTEMPTY matches either group', () => {
    const query = 'short_descriptionISEMPTY^NQdescriptionISNOTEMPTY';
    expect(matches(query, { short_description: '', description: '' })).toBe(true);
    expect(matches(query, { short_description: 'x', description: 'y' })).toBe(true);
    expect(matches(query, { short_description: 'x', description: '' })).toBe(false);
  });

  it('an empty query matches every record', () => {
    expect(matches('', {})).toBe(true);
    expect(evaluateQuery({ groups: [], orderBy: [] }, recordOf({}))).toBe(true);
  });
});

describe('evaluateQuery: dot-walking (servicenow-behaviour §1.2)', () => {
  it('reads dot-walked paths through the reader', () => {
    const record = recordOf({ 'caller_id.department.name': 'IT', short_description: 'VPN broken' });
    expect(evaluateQuery(parse('caller_id.department.name=IT^short_descriptionLIKEvpn'), record)).toBe(true);
    expect(evaluateQuery(parse('caller_id.department.name=HR^short_descriptionLIKEvpn'), record)).toBe(false);
  });

  it('asks the reader for exactly the paths of the query', () => {
    const paths: string[] = [];
    const reader: FieldReader = { read: (path) => (paths.push(path), { value: 'x' }) };
    evaluateQuery(parse('caller_id.email=x^assigned_toSAMEAScaller_id.manager'), reader);
    expect(paths).toEqual(['caller_id.email', 'assigned_to', 'caller_id.manager']);
  });
});

describe('evaluateQuery: invalid terms (servicenow-behaviour §1.2)', () => {
  const record = { active: 'true', priority: '1' };

  it('a term on an unknown field is dropped and the rest applied', () => {
    expect(matches('no_such_field=1^active=true', record)).toBe(true);
    expect(matches('no_such_field=1^active=false', record)).toBe(false);
  });

  it('a clause loses a dropped alternative', () => {
    expect(matches('no_such_field=1^ORactive=false', record)).toBe(false);
    expect(matches('no_such_field=1^ORactive=true', record)).toBe(true);
  });

  it('a group whose clauses are all dropped matches everything', () => {
    expect(matches('no_such_field=1^NQactive=false', record)).toBe(true);
  });

  it('an unsupported javascript: value is dropped, never run (servicenow-behaviour §2.2)', () => {
    expect(matches('caller_id=javascript:process.exit(1)^active=true', { caller_id: 'x', ...record })).toBe(true);
    expect(
      matches('assignment_groupINjavascript:getMyGroups()^active=false', { assignment_group: 'x', ...record }),
    ).toBe(false);
  });

  it('unusable values are dropped: BETWEEN without @, malformed RELATIVE, bad date function', () => {
    for (const term of ['priorityBETWEEN1', 'priorityRELATIVEGT@day', 'opened_at>javascript:gs.daysAgoStart(x)']) {
      expect(matches(`${term}^active=true`, { opened_at: '', ...record })).toBe(true);
    }
  });

  it("invalidTerms: 'no-match' makes the whole query match nothing", () => {
    const ctx = { invalidTerms: 'no-match' as const };
    expect(matches('no_such_field=1^active=true', record, ctx)).toBe(false);
    expect(matches('active=true^NQno_such_field=1', record, ctx)).toBe(false);
    expect(matches('priorityBETWEEN1^active=true', record, ctx)).toBe(false);
    expect(matches('active=true^ORpriority=9', record, ctx)).toBe(true);
    expect(matches('active=false^NQpriority=1', record, ctx)).toBe(true);
  });
});

describe('compileQuery', () => {
  it('gives the same answers as evaluateQuery, with the per-record context at each call', () => {
    const query = parse('stateCHANGESTO6^sys_updated_on>=javascript:gs.beginningOfToday()');
    const matchesRecord = compileQuery(query);
    const record = recordOf({ state: '6', sys_updated_on: '2025-03-12 08:00:00' });
    const previous = recordOf({ state: '2' });
    for (const ctx of [
      { now: new Date('2025-03-12T10:00:00Z'), previous },
      { now: new Date('2025-03-13T10:00:00Z'), previous },
      {},
    ]) {
      expect(matchesRecord(record, ctx)).toBe(evaluateQuery(query, record, ctx));
    }
    expect(matchesRecord(record, { now: new Date('2025-03-12T10:00:00Z'), previous })).toBe(true);
    expect(matchesRecord(record, { now: new Date('2025-03-13T10:00:00Z'), previous })).toBe(false);
  });

  it('takes the user, hierarchy and invalid-term policy once', () => {
    const matchesRecord = compileQuery(parse('caller_id=javascript:gs.getUserID()^no_such_field=1'), {
      userId: 'u1',
      invalidTerms: 'no-match',
    });
    expect(matchesRecord(recordOf({ caller_id: 'u1' }))).toBe(false);
    expect(
      compileQuery(parse('caller_id=javascript:gs.getUserID()'), { userId: 'u1' })(recordOf({ caller_id: 'u1' })),
    ).toBe(true);
  });

  it('uses the current time when the call gives none', () => {
    const matchesRecord = compileQuery(parse('sys_updated_onRELATIVEGT@minute@ago@5'));
    const justNow = new Date(Date.now() - 60_000).toISOString().slice(0, 19).replace('T', ' ');
    expect(matchesRecord(recordOf({ sys_updated_on: justNow }))).toBe(true);
    expect(matchesRecord(recordOf({ sys_updated_on: '2000-01-01 00:00:00' }))).toBe(false);
  });
});

describe('explainQuery', () => {
  const terms = (list: { raw: string }[]) => list.map((t) => t.raw);

  it('names the first failing term of each group, and every dropped term', () => {
    const query = parse('active=true^priority<=2^state=1^NQno_such_field=1^state=3^ORstate=4');
    const result = explainQuery(query, recordOf({ active: 'true', priority: '3', state: '1' }));
    expect(result.matched).toBe(false);
    expect(terms(result.failedTerms)).toEqual(['priority<=2', 'state=3']);
    expect(terms(result.droppedTerms)).toEqual(['no_such_field=1']);
  });

  it('reports no failures when the query matched', () => {
    const result = explainQuery(parse('active=false^NQactive=true^bad_field=1'), recordOf({ active: 'true' }));
    expect(result).toEqual({
      matched: true,
      failedTerms: [],
      droppedTerms: [expect.objectContaining({ raw: 'bad_field=1' })],
    });
  });

  it('reports terms dropped for an unusable value', () => {
    const result = explainQuery(parse('opened_at>javascript:gs.sleep(1000)'), recordOf({ opened_at: '' }));
    expect(result.matched).toBe(true);
    expect(terms(result.droppedTerms)).toEqual(['opened_at>javascript:gs.sleep(1000)']);
  });

  it("does not match with dropped terms under invalidTerms: 'no-match' (servicenow-behaviour §1.2)", () => {
    const result = explainQuery(parse('active=true^bad_field=1'), recordOf({ active: 'true' }), {
      invalidTerms: 'no-match',
    });
    expect(result.matched).toBe(false);
    expect(terms(result.droppedTerms)).toEqual(['bad_field=1']);
  });
});
