import { userByName } from './sys-user';
import type { RecordStore } from './record-store';

/** The session user's time zone (`sys_user.time_zone`, an IANA name); GMT when unset or unknown. */
export function userTimeZone(store: RecordStore, userName: string): string {
  const zone = userByName(store, userName)?.time_zone ?? '';
  return zone !== '' && isTimeZone(zone) ? zone : 'GMT';
}

/** Formatters per zone, built once: building one costs far more than formatting with it (every read shows date-times). */
const formatters = new Map<string, Intl.DateTimeFormat | undefined>();

/** The `yyyy-MM-dd HH:mm:ss` formatter of a zone; undefined when the zone is not one. */
function formatterFor(zone: string): Intl.DateTimeFormat | undefined {
  if (formatters.has(zone)) return formatters.get(zone);
  let formatter: Intl.DateTimeFormat | undefined;
  try {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    formatter = undefined;
  }
  formatters.set(zone, formatter);
  return formatter;
}

function isTimeZone(zone: string): boolean {
  return formatterFor(zone) !== undefined;
}

/**
 * A raw date-time (UTC `yyyy-MM-dd HH:mm:ss`, docs/servicenow-behaviour.md §1.4) as `sysparm_display_value=true|all` shows it:
 * in the user's time zone, in the default `yyyy-MM-dd HH:mm:ss` format. Anything else is left as is.
 */
export function inTimeZone(raw: string, zone: string): string {
  const ms = Date.parse(`${raw.replace(' ', 'T')}Z`);
  const formatter = formatterFor(zone);
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(raw) || Number.isNaN(ms) || !formatter) return raw;
  const parts = Object.fromEntries(formatter.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}
