import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on Linux everywhere that matters). */
const TICKS_PER_SECOND = 100;

/** A process's command name and CPU time so far (ms), from /proc/<pid>/stat; undefined when it cannot be read. */
function statOf(pid: string | number): { command: string; cpuMs: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces; the fields after it are fixed.
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    return { command, cpuMs: (ticks * 1000) / TICKS_PER_SECOND };
  } catch {
    // Not Linux, or the process ended while being read.
    return undefined;
  }
}

/** CPU time (ms) one process has used so far; undefined where /proc cannot tell. */
export function processCpuMs(pid: number): number | undefined {
  return statOf(pid)?.cpuMs;
}

/**
 * CPU time (ms) used so far by every PostgreSQL server process on this machine, from /proc: the
 * bench's PostgreSQL runs locally, so the difference over a burst is what the store cost the runs.
 * undefined where /proc cannot tell (not Linux).
 */
export function postgresCpuMs(): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const servers = pids.map(statOf).filter((s) => s?.command === 'postgres');
  return servers.length > 0 ? servers.reduce((sum, s) => sum + s!.cpuMs, 0) : undefined;
}
