import { endOfUnit, formatDateTime, parseDateTime, shiftDate, startOfUnit, type DateUnit } from './date-time';

/** A value as the evaluator compares it: fixed text, or text that depends on the time of evaluation (ms). */
export type Operand = string | ((now: number) => string);

/** A `javascript:gs.<name>(<args>)` value, read by pattern: nothing is executed. */
export interface ScriptCall {
  name: string;
  args: string[];
}

const SCRIPT = /^javascript:\s*gs\.([A-Za-z]+)\(\s*([^()]*?)\s*\)\s*;?\s*$/;
const ARGUMENT = /\s*(?:'([^']*)'|"([^"]*)"|(-?\d+))\s*(,|$)/y;
const INTEGER = /^-?\d+$/;
const AGO = /^(minute|hour|day|month|quarter|year)sAgo(Start|End)?$/;
const PERIOD = /^(beginningOf|endOf)(?:(Today|Yesterday|Tomorrow)|(This|Last|Next)(Week|Month|Quarter|Year))$/;
const DAY_OFFSET: Record<string, number> = { Today: 0, Yesterday: -1, Tomorrow: 1, This: 0, Last: -1, Next: 1 };
const TIME_WORDS: Record<string, string> = { start: '00:00:00', end: '23:59:59' };

/** Reads `javascript:gs.name('a', "b", 3)`; undefined for anything else. */
export function parseScriptCall(value: string): ScriptCall | undefined {
  const match = SCRIPT.exec(value);
  if (!match) return undefined;
  const [, name = '', list = ''] = match;
  const args: string[] = [];
  ARGUMENT.lastIndex = 0;
  for (let more = list !== ''; more;) {
    const arg = ARGUMENT.exec(list);
    if (!arg) return undefined;
    args.push(arg[1] ?? arg[2] ?? arg[3] ?? '');
    more = arg[4] === ',';
  }
  return { name, args };
}

type Instant = (now: number) => number;

/** `daysAgoStart(n)`, `hoursAgo(n)`, `monthsAgoEnd(n)`…: n units before now, or the start/end of that unit. */
function agoFunction(name: string, args: string[]): Instant | undefined {
  const match = AGO.exec(name);
  const count = args[0];
  if (!match || args.length !== 1 || !INTEGER.test(count!)) return undefined;
  const unit = match[1] as DateUnit;
  const at = (now: number) => shiftDate(now, unit, -Number(count));
  if (match[2] === 'Start') return (now) => startOfUnit(at(now), unit);
  if (match[2] === 'End') return (now) => endOfUnit(at(now), unit);
  return at;
}

/** `beginningOfToday()`, `endOfLastWeek()`, `beginningOfNextQuarter()`…, in UTC. */
function periodFunction(name: string, args: string[]): Instant | undefined {
  const match = PERIOD.exec(name);
  if (!match || args.length !== 0) return undefined;
  const [, edge, day, relative = '', period] = match;
  const unit = (period?.toLowerCase() ?? 'day') as DateUnit;
  const offset = DAY_OFFSET[day ?? relative]!;
  const bound = edge === 'beginningOf' ? startOfUnit : endOfUnit;
  return (now) => bound(shiftDate(now, unit, offset), unit);
}

/** `dateGenerate('2025-01-01','12:00:01')`, `dateGenerate('2025-01-01','start')`, `dateGenerate("2025-01-01 12:00:01")`. */
function generatedDate(args: string[]): string | undefined {
  const [date = '', time] = args;
  if (args.length > 2) return undefined;
  const text = time === undefined ? date : `${date} ${TIME_WORDS[time] ?? time}`;
  const ms = text.length === 19 ? parseDateTime(text) : undefined;
  return ms === undefined ? undefined : formatDateTime(ms);
}

/**
 * What the evaluator compares a term's value against. Plain values are themselves; a
 * `javascript:` value is recognised by pattern (https://www.servicenow.com/docs/r/platform-user-interface/r_OpAvailableFiltersQueries.html) and evaluated in UTC, or is
 * unusable (undefined) — so the term is dropped, as an instance drops what it cannot run.
 */
export function resolveOperand(value: string, userId: string | undefined): Operand | undefined {
  if (!value.startsWith('javascript:')) return value;
  const call = parseScriptCall(value);
  if (!call) return undefined;
  const { name, args } = call;
  if (name === 'getUserID') return args.length === 0 ? userId : undefined;
  if (name === 'dateGenerate') return generatedDate(args);
  const instant = agoFunction(name, args) ?? periodFunction(name, args);
  return instant && ((now: number) => formatDateTime(instant(now)));
}
