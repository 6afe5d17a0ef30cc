import { resolveOperand } from '../../../src/rules/encoded-query/date-functions';
import { matches } from './record';

// Wednesday 12 March 2025, 10:30:45 UTC.
const now = Date.UTC(2025, 2, 12, 10, 30, 45);

function resolved(value: string, userId?: string): string | undefined {
  const operand = resolveOperand(value, userId);
  return typeof operand === 'function' ? operand(now) : operand;
}

describe('javascript:gs.* values (servicenow-behaviour §2.2), evaluated in UTC against now', () => {
  it.each([
    ['gs.daysAgoStart(0)', '2025-03-12 00:00:00'],
    ['gs.daysAgoStart(1)', '2025-03-11 00:00:00'],
    ['gs.daysAgoStart(-1)', '2025-03-13 00:00:00'],
    ['gs.daysAgoEnd(0)', '2025-03-12 23:59:59'],
    ['gs.daysAgoEnd(30)', '2025-02-10 23:59:59'],
    ['gs.daysAgo(2)', '2025-03-10 10:30:45'],
    ['gs.beginningOfToday()', '2025-03-12 00:00:00'],
    ['gs.endOfToday()', '2025-03-12 23:59:59'],
    ['gs.beginningOfYesterday()', '2025-03-11 00:00:00'],
    ['gs.endOfTomorrow()', '2025-03-13 23:59:59'],
    ['gs.beginningOfThisWeek()', '2025-03-10 00:00:00'],
    ['gs.beginningOfLastWeek()', '2025-03-03 00:00:00'],
    ['gs.endOfLastWeek()', '2025-03-09 23:59:59'],
    ['gs.beginningOfLastMonth()', '2025-02-01 00:00:00'],
    ['gs.endOfLastMonth()', '2025-02-28 23:59:59'],
    ['gs.beginningOfThisQuarter()', '2025-01-01 00:00:00'],
    ['gs.endOfNextQuarter()', '2025-06-30 23:59:59'],
    ['gs.beginningOfThisYear()', '2025-01-01 00:00:00'],
    ['gs.minutesAgoStart(5)', '2025-03-12 10:25:00'],
    ['gs.minutesAgo(5)', '2025-03-12 10:25:45'],
    ['gs.hoursAgoStart(2)', '2025-03-12 08:00:00'],
    ['gs.hoursAgoEnd(2)', '2025-03-12 08:59:59'],
    ['gs.monthsAgoStart(1)', '2025-02-01 00:00:00'],
    ["gs.dateGenerate('2025-01-01','12:00:01')", '2025-01-01 12:00:01'],
    ["gs.dateGenerate( '2025-01-01' , '12:00:01' )", '2025-01-01 12:00:01'],
    ['gs.dateGenerate("2025-01-01","12:00:01")', '2025-01-01 12:00:01'],
    ['gs.dateGenerate("1970-01-02 00:00:00")', '1970-01-02 00:00:00'],
    ["gs.dateGenerate('2025-01-15','start')", '2025-01-15 00:00:00'],
    ["gs.dateGenerate('2025-01-15','end')", '2025-01-15 23:59:59'],
  ])('javascript:%s is %s', (call, expected) => {
    expect(resolved(`javascript:${call}`)).toBe(expected);
  });

  it('one month before 31 March is the end of February, not 3 March', () => {
    expect(resolveOperand('javascript:gs.monthsAgo(1)', undefined)).toBeInstanceOf(Function);
    const operand = resolveOperand('javascript:gs.monthsAgo(1)', undefined) as (now: number) => string;
    expect(operand(Date.UTC(2025, 2, 31, 12))).toBe('2025-02-28 12:00:00');
  });

  it('gs.getUserID() is the context user, and unusable without one', () => {
    expect(resolved('javascript:gs.getUserID()', 'u1')).toBe('u1');
    expect(resolved('javascript:gs.getUserID()')).toBeUndefined();
  });

  it.each([
    'javascript:gs.getUser().getMyGroups()',
    'javascript:gs.daysAgoStart()',
    'javascript:gs.daysAgoStart(1.5)',
    'javascript:gs.daysAgoStart(1); gs.sleep(9)',
    "javascript:gs.dateGenerate('2025-02-30','00:00:00')",
    "javascript:gs.dateGenerate('2025-01-01','25:00:00')",
    "javascript:gs.dateGenerate('2025-01-01')",
    'javascript:new Date()',
    'javascript:gs.beginningOfToday(1)',
  ])('%s is not recognised (the term is dropped)', (value) => {
    expect(resolveOperand(value, 'u1')).toBeUndefined();
  });

  it('plain values are themselves', () => {
    expect(resolved('2025-01-01 00:00:00')).toBe('2025-01-01 00:00:00');
  });
});

describe('date functions in queries', () => {
  const at = { now: new Date(now) };

  it("the Ansible poller's query: sys_updated_on>=dateGenerate(...)^ORDERBYsys_updated_on (servicenow-behaviour §2.2)", () => {
    const query = "sys_updated_on>=javascript:gs.dateGenerate('2025-01-01', '12:00:01')^ORDERBYsys_updated_on";
    expect(matches(query, { sys_updated_on: '2025-01-01 12:00:01' })).toBe(true);
    expect(matches(query, { sys_updated_on: '2025-01-01 12:00:00' })).toBe(false);
  });

  it('gs.minutesAgoStart / gs.hoursAgoStart move with ctx.now', () => {
    expect(
      matches('sys_updated_on>=javascript:gs.minutesAgoStart(15)', { sys_updated_on: '2025-03-12 10:15:00' }, at),
    ).toBe(true);
    expect(
      matches('sys_updated_on>=javascript:gs.hoursAgoStart(1)', { sys_updated_on: '2025-03-12 08:59:59' }, at),
    ).toBe(false);
  });

  it('last week, as the UI writes it with ON', () => {
    const query = 'opened_atONLast week@javascript:gs.beginningOfLastWeek()@javascript:gs.endOfLastWeek()';
    expect(matches(query, { opened_at: '2025-03-03 00:00:00' }, at)).toBe(true);
    expect(matches(query, { opened_at: '2025-03-10 00:00:00' }, at)).toBe(false);
  });
});
