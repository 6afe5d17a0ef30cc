import { evaluateQuery, parseEncodedQuery } from '../../../src/rules/encoded-query';
import { matches, recordOf } from './record';

// Wednesday 12 March 2025, 10:30:00 UTC.
const now = new Date('2025-03-12T10:30:00Z');

describe('= and != (servicenow-behaviour §2.2)', () => {
  it('= is exact and case-sensitive', () => {
    expect(matches('state=2', { state: '2' })).toBe(true);
    expect(matches('category=hardware', { category: 'Hardware' })).toBe(false);
    expect(matches('state=2', { state: '20' })).toBe(false);
  });

  it('= with an empty value matches an empty field', () => {
    expect(matches('assigned_to=', { assigned_to: '' })).toBe(true);
    expect(matches('assigned_to=', { assigned_to: 'abc' })).toBe(false);
  });

  it('!= is the negation of =', () => {
    expect(matches('short_description!=x', { short_description: 'y' })).toBe(true);
    expect(matches('short_description!=x', { short_description: 'x' })).toBe(false);
  });

  it('active!=true matches false and empty', () => {
    expect(matches('active!=true', { active: 'false' })).toBe(true);
    expect(matches('active!=true', { active: '' })).toBe(true);
    expect(matches('active!=true', { active: 'true' })).toBe(false);
  });

  it('= compares the stored value of a reference, not its display value', () => {
    expect(matches('caller_id=abc', { caller_id: { value: 'abc', display: 'Abel Tuter' } })).toBe(true);
    expect(matches('caller_id=Abel Tuter', { caller_id: { value: 'abc', display: 'Abel Tuter' } })).toBe(false);
  });
});

describe('> >= < <= (servicenow-behaviour §2.2)', () => {
  it('priority<=2 compares numbers numerically ("10" is not <= "2")', () => {
    expect(matches('priority<=2', { priority: '10' })).toBe(false);
    expect(matches('priority<=2', { priority: '2' })).toBe(true);
    expect(matches('priority<=2', { priority: '1' })).toBe(true);
  });

  it('> and < are strict, >= and <= inclusive', () => {
    expect(matches('reassignment_count>3', { reassignment_count: '3' })).toBe(false);
    expect(matches('reassignment_count>3', { reassignment_count: '4' })).toBe(true);
    expect(matches('reassignment_count>=3', { reassignment_count: '3' })).toBe(true);
    expect(matches('reassignment_count<3', { reassignment_count: '3' })).toBe(false);
    expect(matches('reassignment_count<3', { reassignment_count: '-1' })).toBe(true);
    expect(matches('reassignment_count<=3.5', { reassignment_count: '3.25' })).toBe(true);
  });

  it('date-times compare chronologically; a date alone is midnight', () => {
    expect(matches('sys_updated_on>2025-01-01 00:00:00', { sys_updated_on: '2025-01-01 00:00:01' })).toBe(true);
    expect(matches('sys_updated_on>2025-01-01 00:00:00', { sys_updated_on: '2024-12-31 23:59:59' })).toBe(false);
    expect(matches('sys_updated_on>2025-01-01', { sys_updated_on: '2025-01-01 00:00:00' })).toBe(false);
    expect(matches('sys_updated_on>=2025-01-01', { sys_updated_on: '2025-01-01 00:00:00' })).toBe(true);
  });

  it('other strings compare lexically', () => {
    expect(matches('number>INC0010002', { number: 'INC0010003' })).toBe(true);
    expect(matches('number>INC0010002', { number: 'INC0010001' })).toBe(false);
  });

  it('an empty value is in no order (NULL): every comparison with it is false', () => {
    expect(matches('priority<=2', { priority: '' })).toBe(false);
    expect(matches('priority>2', { priority: '' })).toBe(false);
  });

  it('compares with a date function evaluated at ctx.now', () => {
    expect(
      matches('sys_updated_on>=javascript:gs.daysAgoStart(1)', { sys_updated_on: '2025-03-11 00:00:00' }, { now }),
    ).toBe(true);
    expect(
      matches('sys_updated_on>=javascript:gs.daysAgoStart(1)', { sys_updated_on: '2025-03-10 23:59:59' }, { now }),
    ).toBe(false);
  });
});

describe('LIKE, NOT LIKE, STARTSWITH, ENDSWITH (servicenow-behaviour §2.2)', () => {
  it('LIKE is contains, case-insensitive', () => {
    expect(matches('short_descriptionLIKEoutage', { short_description: 'Email OUTAGE in Paris' })).toBe(true);
    expect(matches('short_descriptionLIKEoutage', { short_description: 'Email down' })).toBe(false);
  });

  it('LIKE treats its value literally, not as a pattern', () => {
    expect(matches('short_descriptionLIKEa.c', { short_description: 'abc' })).toBe(false);
    expect(matches('short_descriptionLIKE(1+1)', { short_description: 'is (1+1) 2?' })).toBe(true);
  });

  it('LIKE on a reference matches its display value', () => {
    const caller = { value: '62826bf03710200044e0bfc8bcbe5df1', display: 'Abel Tuter' };
    expect(matches('caller_idLIKEabel', { caller_id: caller })).toBe(true);
    expect(matches('caller_idLIKE6282', { caller_id: caller })).toBe(false);
    expect(matches('caller_idLIKE6282', { caller_id: { value: '62826bf0' } })).toBe(true);
  });

  it('NOT LIKE (and its aliases) is does-not-contain, case-insensitive', () => {
    expect(matches('short_descriptionNOT LIKEtest', { short_description: 'A TEST ticket' })).toBe(false);
    expect(matches('short_descriptionNOT LIKEtest', { short_description: 'real outage' })).toBe(true);
    expect(matches('short_description!*test', { short_description: 'real outage' })).toBe(true);
    expect(matches('short_descriptionNOTLIKEtest', { short_description: 'test' })).toBe(false);
  });

  it('STARTSWITH and ENDSWITH anchor the value, case-insensitive', () => {
    expect(matches('numberSTARTSWITHinc', { number: 'INC0010002' })).toBe(true);
    expect(matches('numberSTARTSWITHCHG', { number: 'INC0010002' })).toBe(false);
    expect(matches('short_descriptionENDSWITHoutage', { short_description: 'VPN Outage' })).toBe(true);
    expect(matches('short_descriptionENDSWITHoutage', { short_description: 'outage of VPN' })).toBe(false);
    expect(matches('short_description%outage', { short_description: 'VPN outage' })).toBe(true);
  });
});

describe('IN and NOT IN (servicenow-behaviour §2.2)', () => {
  it('IN matches one of a comma list', () => {
    expect(matches('stateIN1,2,3', { state: '2' })).toBe(true);
    expect(matches('stateIN1,2,3', { state: '6' })).toBe(false);
    expect(matches('stateIN1,2,3', { state: '1,2' })).toBe(false);
  });

  it('NOT IN matches none of a comma list', () => {
    expect(matches('priorityNOT IN4,5', { priority: '1' })).toBe(true);
    expect(matches('priorityNOT IN4,5', { priority: '5' })).toBe(false);
  });
});

describe('ISEMPTY, ISNOTEMPTY, EMPTYSTRING, ANYTHING (servicenow-behaviour §2.2)', () => {
  it('ISEMPTY and EMPTYSTRING match an empty value only', () => {
    expect(matches('assigned_toISEMPTY', { assigned_to: '' })).toBe(true);
    expect(matches('assigned_toISEMPTY', { assigned_to: 'abc' })).toBe(false);
    expect(matches('short_descriptionEMPTYSTRING', { short_description: '' })).toBe(true);
    expect(matches('short_descriptionEMPTYSTRING', { short_description: ' ' })).toBe(false);
  });

  it('ISNOTEMPTY matches any non-empty value', () => {
    expect(matches('assigned_toISNOTEMPTY', { assigned_to: 'abc' })).toBe(true);
    expect(matches('assigned_toISNOTEMPTY', { assigned_to: '' })).toBe(false);
  });

  it('ANYTHING matches every value, empty included', () => {
    expect(matches('short_descriptionANYTHING', { short_description: '' })).toBe(true);
    expect(matches('short_descriptionANYTHING', { short_description: 'x' })).toBe(true);
  });
});

describe('BETWEEN (servicenow-behaviour §2.2)', () => {
  it('is inclusive at both ends', () => {
    expect(matches('priorityBETWEEN1@3', { priority: '1' })).toBe(true);
    expect(matches('priorityBETWEEN1@3', { priority: '3' })).toBe(true);
    expect(matches('priorityBETWEEN1@3', { priority: '4' })).toBe(false);
    expect(matches('priorityBETWEEN1@3', { priority: '' })).toBe(false);
  });

  it('takes date functions as bounds', () => {
    const query = 'sla_dueBETWEENjavascript:gs.daysAgoStart(1)@javascript:gs.daysAgoEnd(0)';
    expect(matches(query, { sla_due: '2025-03-11 00:00:00' }, { now })).toBe(true);
    expect(matches(query, { sla_due: '2025-03-12 23:59:59' }, { now })).toBe(true);
    expect(matches(query, { sla_due: '2025-03-13 00:00:00' }, { now })).toBe(false);
  });

  it('takes the pysnow dateGenerate bounds', () => {
    const query =
      'testBETWEENjavascript:gs.dateGenerate("1970-01-01 00:00:00")@javascript:gs.dateGenerate("1970-01-02 00:00:00")';
    expect(matches(query, { test: '1970-01-01 12:00:00' })).toBe(true);
    expect(matches(query, { test: '1970-01-02 00:00:01' })).toBe(false);
  });
});

describe('SAMEAS, NSAMEAS and the *_FIELD operators (field against field) (servicenow-behaviour §2.2)', () => {
  it('SAMEAS / NSAMEAS compare two fields of the record', () => {
    expect(matches('caller_idSAMEASassigned_to', { caller_id: 'u1', assigned_to: 'u1' })).toBe(true);
    expect(matches('caller_idSAMEASassigned_to', { caller_id: 'u1', assigned_to: 'u2' })).toBe(false);
    expect(matches('caller_idNSAMEASassigned_to', { caller_id: 'u1', assigned_to: 'u2' })).toBe(true);
    expect(matches('caller_idNSAMEASassigned_to', { caller_id: 'u1', assigned_to: 'u1' })).toBe(false);
  });

  it('SAMEAS other@day compares dates by calendar unit', () => {
    const record = { sla_due: '2025-03-12 08:00:00', activity_due: '2025-03-12 23:00:00' };
    expect(matches('sla_dueSAMEASactivity_due@day', record)).toBe(true);
    expect(matches('sla_dueSAMEASactivity_due@hour', record)).toBe(false);
    expect(matches('sla_dueNSAMEASactivity_due@hour', record)).toBe(true);
  });

  it('GT_FIELD, LT_FIELD, GT_OR_EQUALS_FIELD, LT_OR_EQUALS_FIELD order two fields numerically', () => {
    const record = { reassignment_count: '10', reopen_count: '9', other_count: '10' };
    expect(matches('reassignment_countGT_FIELDreopen_count', record)).toBe(true);
    expect(matches('reopen_countGT_FIELDreassignment_count', record)).toBe(false);
    expect(matches('reopen_countLT_FIELDreassignment_count', record)).toBe(true);
    expect(matches('reassignment_countLT_FIELDreopen_count', record)).toBe(false);
    expect(matches('reassignment_countGT_OR_EQUALS_FIELDother_count', record)).toBe(true);
    expect(matches('reopen_countGT_OR_EQUALS_FIELDother_count', record)).toBe(false);
    expect(matches('reassignment_countLT_OR_EQUALS_FIELDother_count', record)).toBe(true);
    expect(matches('reassignment_countLT_OR_EQUALS_FIELDreopen_count', record)).toBe(false);
  });

  it('a term whose second field does not exist is dropped (servicenow-behaviour §1.2)', () => {
    expect(matches('caller_idSAMEASno_such_field^active=false', { caller_id: 'u1', active: 'true' })).toBe(false);
    expect(matches('caller_idSAMEASno_such_field', { caller_id: 'u1' })).toBe(true);
  });
});

describe('MORETHAN and LESSTHAN (date against field) (servicenow-behaviour §2.2)', () => {
  const record = (sla_due: string) => ({ sla_due, activity_due: '2025-03-12 12:00:00' });

  it('MORETHAN other@day@before@1: more than a day before the other field', () => {
    expect(matches('sla_dueMORETHANactivity_due@day@before@1', record('2025-03-11 11:59:59'))).toBe(true);
    expect(matches('sla_dueMORETHANactivity_due@day@before@1', record('2025-03-11 12:00:00'))).toBe(false);
  });

  it('LESSTHAN other@hour@after@2: after the other field, by less than two hours', () => {
    expect(matches('sla_dueLESSTHANactivity_due@hour@after@2', record('2025-03-12 13:59:59'))).toBe(true);
    expect(matches('sla_dueLESSTHANactivity_due@hour@after@2', record('2025-03-12 14:00:00'))).toBe(false);
    expect(matches('sla_dueLESSTHANactivity_due@hour@after@2', record('2025-03-12 11:00:00'))).toBe(false);
  });
});

describe('DYNAMIC (servicenow-behaviour §2.2)', () => {
  it('the "Me" option is the current user', () => {
    const me = 'caller_idDYNAMIC90d1921e5f510100a9ad2572f2b477fe';
    expect(matches(me, { caller_id: 'u1' }, { userId: 'u1' })).toBe(true);
    expect(matches(me, { caller_id: 'u2' }, { userId: 'u1' })).toBe(false);
  });

  it('other options and "Me" without a user are dropped (servicenow-behaviour §1.2)', () => {
    expect(
      matches('caller_idDYNAMICffffffffffffffffffffffffffffffff^active=true', { caller_id: 'u1', active: 'true' }),
    ).toBe(true);
    const query = parseEncodedQuery('caller_idDYNAMIC90d1921e5f510100a9ad2572f2b477fe^active=false').query;
    expect(evaluateQuery(query, recordOf({ caller_id: 'u1', active: 'true' }))).toBe(false);
  });
});

describe('ON and NOTON (servicenow-behaviour §2.2)', () => {
  const today = 'sys_created_onONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()';

  it('ONToday matches the whole of today, UTC (servicenow-behaviour §2.4)', () => {
    expect(matches(today, { sys_created_on: '2025-03-12 00:00:00' }, { now })).toBe(true);
    expect(matches(today, { sys_created_on: '2025-03-12 23:59:59' }, { now })).toBe(true);
    expect(matches(today, { sys_created_on: '2025-03-11 23:59:59' }, { now })).toBe(false);
  });

  it('NOTON matches dates outside the period, but not an empty date', () => {
    const notToday = today.replace('ONToday', 'NOTONToday');
    expect(matches(notToday, { sys_created_on: '2025-03-11 23:59:59' }, { now })).toBe(true);
    expect(matches(notToday, { sys_created_on: '2025-03-12 10:00:00' }, { now })).toBe(false);
    expect(matches(notToday, { sys_created_on: '' }, { now })).toBe(false);
  });

  it("reads the UI's fixed-date form with dateGenerate(date, 'start'|'end')", () => {
    const query =
      "opened_atON2025-01-15@javascript:gs.dateGenerate('2025-01-15','start')@javascript:gs.dateGenerate('2025-01-15','end')";
    expect(matches(query, { opened_at: '2025-01-15 23:59:59' })).toBe(true);
    expect(matches(query, { opened_at: '2025-01-16 00:00:00' })).toBe(false);
  });
});

describe('RELATIVEGT, RELATIVELT, RELATIVEGE, RELATIVELE, RELATIVEEE (servicenow-behaviour §2.2)', () => {
  it('RELATIVEGT@hour@ago@1: after one hour ago', () => {
    expect(matches('sys_updated_onRELATIVEGT@hour@ago@1', { sys_updated_on: '2025-03-12 09:30:01' }, { now })).toBe(
      true,
    );
    expect(matches('sys_updated_onRELATIVEGT@hour@ago@1', { sys_updated_on: '2025-03-12 09:30:00' }, { now })).toBe(
      false,
    );
  });

  it('RELATIVELT@day@ahead@2: before two days from now', () => {
    expect(matches('due_dateRELATIVELT@day@ahead@2', { due_date: '2025-03-14 10:29:59' }, { now })).toBe(true);
    expect(matches('due_dateRELATIVELT@day@ahead@2', { due_date: '2025-03-14 10:30:00' }, { now })).toBe(false);
  });

  it('RELATIVEGE and RELATIVELE include the instant itself', () => {
    expect(matches('due_dateRELATIVEGE@minute@ago@30', { due_date: '2025-03-12 10:00:00' }, { now })).toBe(true);
    expect(matches('due_dateRELATIVELE@minute@ago@30', { due_date: '2025-03-12 10:00:00' }, { now })).toBe(true);
    expect(matches('due_dateRELATIVELE@minute@ago@30', { due_date: '2025-03-12 10:00:01' }, { now })).toBe(false);
  });

  it('RELATIVEEE@month@ago@1 matches anything in last month', () => {
    expect(matches('opened_atRELATIVEEE@month@ago@1', { opened_at: '2025-02-01 00:00:00' }, { now })).toBe(true);
    expect(matches('opened_atRELATIVEEE@month@ago@1', { opened_at: '2025-03-01 00:00:00' }, { now })).toBe(false);
  });

  it('an unknown unit makes the term invalid (dropped) (servicenow-behaviour §1.2)', () => {
    expect(
      matches(
        'opened_atRELATIVEGT@fortnight@ago@1^active=false',
        { opened_at: '2025-03-12 00:00:00', active: 'true' },
        { now },
      ),
    ).toBe(false);
    expect(matches('opened_atRELATIVEGT@fortnight@ago@1', { opened_at: '2025-03-12 00:00:00' }, { now })).toBe(true);
  });
});

describe('DATEPART (servicenow-behaviour §2.2)', () => {
  const monday = "sla_dueDATEPARTMonday@javascript:gs.datePart('dayofweek','monday','EE')";

  it('matches one part of the date', () => {
    expect(matches(monday, { sla_due: '2025-03-10 08:00:00' })).toBe(true);
    expect(matches(monday, { sla_due: '2025-03-12 08:00:00' })).toBe(false);
  });

  it('compares the part with GT/LT', () => {
    const afterJune = "opened_atDATEPARTJune@javascript:gs.datePart('month','june','GT')";
    expect(matches(afterJune, { opened_at: '2025-07-01 00:00:00' })).toBe(true);
    expect(matches(afterJune, { opened_at: '2025-06-30 00:00:00' })).toBe(false);
  });
});

describe('VALCHANGES, CHANGESFROM, CHANGESTO (servicenow-behaviour §2.2)', () => {
  const previous = recordOf({ state: '2', priority: '3' });

  it('VALCHANGES: the value differs from the previous record', () => {
    expect(matches('stateVALCHANGES', { state: '6' }, { previous })).toBe(true);
    expect(matches('stateVALCHANGES', { state: '2' }, { previous })).toBe(false);
  });

  it('CHANGESFROM / CHANGESTO: the value changed from / to the given one', () => {
    expect(matches('stateCHANGESFROM2', { state: '6' }, { previous })).toBe(true);
    expect(matches('stateCHANGESFROM3', { state: '6' }, { previous })).toBe(false);
    expect(matches('stateCHANGESTO6', { state: '6' }, { previous })).toBe(true);
    expect(matches('stateCHANGESTO6', { state: '7' }, { previous })).toBe(false);
    expect(matches('priorityCHANGESTO3', { priority: '3' }, { previous })).toBe(false);
  });

  it('all three are false without a previous record', () => {
    expect(matches('stateVALCHANGES', { state: '6' })).toBe(false);
    expect(matches('stateCHANGESTO6', { state: '6' })).toBe(false);
    expect(matches('stateCHANGESFROM2', { state: '6' })).toBe(false);
  });
});

describe('INSTANCEOF (servicenow-behaviour §2.2)', () => {
  it('is equality by default', () => {
    expect(matches('sys_class_nameINSTANCEOFincident', { sys_class_name: 'incident' })).toBe(true);
    expect(matches('sys_class_nameINSTANCEOFtask', { sys_class_name: 'incident' })).toBe(false);
  });

  it('asks the context about descendants', () => {
    const isInstanceOf = (className: string, ancestor: string) => className === ancestor || ancestor === 'task';
    expect(matches('sys_class_nameINSTANCEOFtask', { sys_class_name: 'incident' }, { isInstanceOf })).toBe(true);
    expect(matches('sys_class_nameINSTANCEOFproblem', { sys_class_name: 'incident' }, { isInstanceOf })).toBe(false);
  });
});

describe('operators that need the instance (servicenow-behaviour §2.2)', () => {
  it.each([
    'managerIN_HIERARCHYh1@u1',
    'managerIN_HIERARCHY_DYNAMICh1',
    'sys_tagsDOESNOTHAVEt1',
    'sys_tagsEXCLUDINGt1',
  ])('%s is dropped (servicenow-behaviour §1.2)', (term) => {
    expect(matches(`${term}^active=false`, { manager: 'u', sys_tags: '', active: 'true' })).toBe(false);
    expect(matches(term, { manager: 'u', sys_tags: '' })).toBe(true);
  });
});
