/** Calendar units of relative date operators and date functions. Weeks start on Monday [inf]. */
export type DateUnit = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';

const UNITS: ReadonlySet<string> = new Set<DateUnit>(['minute', 'hour', 'day', 'week', 'month', 'quarter', 'year']);

export function isDateUnit(text: string): text is DateUnit {
  return UNITS.has(text);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const FIXED_LENGTH: Partial<Record<DateUnit, number>> = { minute: MINUTE, hour: HOUR, day: DAY, week: 7 * DAY };
const MONTHS_IN: Partial<Record<DateUnit, number>> = { month: 1, quarter: 3, year: 12 };

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?$/;

/** Reads `yyyy-MM-dd HH:mm:ss` or `yyyy-MM-dd` as UTC milliseconds; undefined when it is not a real date. */
export function parseDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1).map((part) => Number(part ?? 0));
  const ms = Date.UTC(year!, month! - 1, day, hour, minute, second);
  // Date.UTC rolls 2025-02-30 over to March; a date that does not survive the round trip is not one.
  return new Date(ms).getUTCDate() === day && hour < 24 && minute < 60 && second < 60 ? ms : undefined;
}

/** Writes UTC milliseconds as `yyyy-MM-dd HH:mm:ss`, the raw date-time format of the Table API (docs/servicenow-behaviour.md §1.4). */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const target = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), target + 1, 0)).getUTCDate();
  // Clamp like a calendar does: one month after 31 January is the end of February, not 3 March.
  return Date.UTC(
    d.getUTCFullYear(),
    target,
    Math.min(d.getUTCDate(), lastDay),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  );
}

/** `ms` moved by `count` units (negative: into the past). */
export function shiftDate(ms: number, unit: DateUnit, count: number): number {
  const fixed = FIXED_LENGTH[unit];
  return fixed !== undefined ? ms + count * fixed : addMonths(ms, count * MONTHS_IN[unit]!);
}

/** The first instant of the unit that contains `ms`. */
export function startOfUnit(ms: number, unit: DateUnit): number {
  const d = new Date(ms);
  const [y, mo, day] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
  switch (unit) {
    case 'minute':
      return Date.UTC(y, mo, day, d.getUTCHours(), d.getUTCMinutes());
    case 'hour':
      return Date.UTC(y, mo, day, d.getUTCHours());
    case 'day':
      return Date.UTC(y, mo, day);
    case 'week':
      return Date.UTC(y, mo, day - ((d.getUTCDay() + 6) % 7));
    case 'month':
      return Date.UTC(y, mo, 1);
    case 'quarter':
      return Date.UTC(y, mo - (mo % 3), 1);
    case 'year':
      return Date.UTC(y, 0, 1);
  }
}

/** The last second of the unit that contains `ms` (ServiceNow's end-of-period values end at :59). */
export function endOfUnit(ms: number, unit: DateUnit): number {
  return shiftDate(startOfUnit(ms, unit), unit, 1) - 1000;
}
