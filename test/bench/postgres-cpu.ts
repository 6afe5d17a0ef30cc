import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on Linux everywhere that matters). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (ms) used so far by every PostgreSQL server process on this machine, from /proc: the
 * bench's PostgreSQL runs locally, so the difference over a burst is what the store cost the runs.
 * undefined where /proc cannot tell (not Linux).
 */
export function postgresCpuMs(): number | undefined {
  let ticks = 0;
  let seen = false;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces; the fields after it are fixed.
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (command !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
      seen = true;
    } catch {
      // The process ended while being read.
    }
  }
  return seen ? (ticks * 1000) / TICKS_PER_SECOND : undefined;
}
