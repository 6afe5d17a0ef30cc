import { isDateUnit, parseDateTime, shiftDate, startOfUnit, type DateUnit } from '../date-time';
import { parseScriptCall } from '../date-functions';
import { perNow, withOperands, type TestFactory } from './value-test';

/** ON / NOTON `Label@<start>@<end>`: inside (or outside) the period, bounds included. Empty dates are neither. */
function period(inside: boolean): TestFactory {
  return (term, ctx) => {
    const parts = term.value.split('@');
    if (parts.length !== 3) return undefined;
    return withOperands(parts.slice(1), ctx, ([startText, endText]) => {
      const [start, end] = [parseDateTime(startText!), parseDateTime(endText!)];
      if (start === undefined || end === undefined) return undefined;
      return (current) => {
        const time = parseDateTime(current.value);
        return time !== undefined && (start <= time && time <= end) === inside;
      };
    });
  };
}

const RELATIVE = /^@([a-z]+)@(ago|ahead)@(\d+)$/;

type RelativeTest = (time: number, threshold: number, unit: DateUnit) => boolean;

/** RELATIVEGT… `@<unit>@ago|ahead@<n>`: compares the date with now moved by n units. */
function relative(accept: RelativeTest): TestFactory {
  return ({ value }) => {
    const match = RELATIVE.exec(value);
    const unit = match?.[1] ?? '';
    if (!match || !isDateUnit(unit)) return undefined;
    const count = (match[2] === 'ago' ? -1 : 1) * Number(match[3]);
    const thresholdAt = perNow((now) => shiftDate(now, unit, count));
    return (current, _record, run) => {
      const time = parseDateTime(current.value);
      return time !== undefined && accept(time, thresholdAt(run), unit);
    };
  };
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** The parts DATEPART can compare [inf: ISO weekdays, Monday = 1], each as a number. */
const DATE_PARTS: Record<string, { of: (date: Date) => number; names?: string[] }> = {
  dayofweek: { of: (d) => ((d.getUTCDay() + 6) % 7) + 1, names: WEEKDAYS },
  month: { of: (d) => d.getUTCMonth() + 1, names: MONTHS },
  quarter: { of: (d) => Math.floor(d.getUTCMonth() / 3) + 1 },
  year: { of: (d) => d.getUTCFullYear() },
  hour: { of: (d) => d.getUTCHours() },
};

const PART_COMPARISONS: Record<string, (comparison: number) => boolean> = {
  EE: (c) => c === 0,
  GE: (c) => c >= 0,
  GT: (c) => c > 0,
  LE: (c) => c <= 0,
  LT: (c) => c < 0,
};

/** DATEPART `Label@javascript:gs.datePart('dayofweek','monday','EE')`: one part of the date against a value. */
export const datePart: TestFactory = ({ value }) => {
  const call = parseScriptCall(value.slice(value.indexOf('@') + 1));
  const [partName = '', wanted = '', comparisonName = ''] = call?.args ?? [];
  const part = DATE_PARTS[partName];
  const accept = PART_COMPARISONS[comparisonName];
  const named = part?.names?.indexOf(wanted.toLowerCase()) ?? -1;
  const target = named >= 0 ? named + 1 : /^\d+$/.test(wanted) ? Number(wanted) : undefined;
  if (call?.name !== 'datePart' || call.args.length !== 3 || !part || !accept || target === undefined) return undefined;
  return (current) => {
    const time = parseDateTime(current.value);
    return time !== undefined && accept(part.of(new Date(time)) - target);
  };
};

export const on = period(true);
export const notOn = period(false);
export const relativeAfter = relative((time, threshold) => time > threshold);
export const relativeBefore = relative((time, threshold) => time < threshold);
export const relativeAtOrAfter = relative((time, threshold) => time >= threshold);
export const relativeAtOrBefore = relative((time, threshold) => time <= threshold);
/** RELATIVEEE: within the same unit as the moved instant (the same day, the same hour…) [inf]. */
export const relativeSame = relative(
  (time, threshold, unit) => startOfUnit(time, unit) === startOfUnit(threshold, unit),
);
