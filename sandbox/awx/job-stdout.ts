import { FAIL_VAR, type JobRecord, type JobTemplate } from './awx-model';
import { INVENTORY_HOSTS } from './awx-seed';

/**
 * A plausible `ansible-playbook` transcript of a sandbox job, as far as the job has got: nothing
 * while pending, the tasks done so far while running (or when canceled), all of them and the
 * PLAY RECAP once it has ended. It names the hosts of the limit and shows the extra vars, so an
 * operator can see what a launch asked for.
 */
export function jobStdout(job: JobRecord, template: JobTemplate, nowMs: number): string {
  if (job.startedMs === undefined) return '';
  const hosts = hostsOf(job.limit);
  const tasks = ['Gathering Facts', 'Show launch variables', ...template.tasks.map((t) => withVars(t, job.extraVars))];
  const done = tasksDone(job, tasks.length, nowMs);
  const failed = job.status === 'failed';
  const lines = [
    `Identity added: /runner/artifacts/${job.id}/ssh_key_data (sandbox@snowline)`,
    '',
    heading('PLAY', template.name),
  ];
  tasks.slice(0, done).forEach((task, index) => {
    const fails = failed && index === tasks.length - 1;
    lines.push('', heading('TASK', task), ...hosts.flatMap((host) => taskResult(index, host, fails, job)));
  });
  if (failed) lines.push('', 'NO MORE HOSTS LEFT *************************************************************');
  if (job.status === 'successful' || failed)
    lines.push('', heading('PLAY RECAP', ''), ...hosts.map((h) => recapLine(h, tasks.length, failed)));
  return `${lines.join('\n')}\n`;
}

/** The limit's host names (`web-01,web-02` or `web-01:web-02`); the whole inventory when empty. */
function hostsOf(limit: string): string[] {
  const hosts = limit
    .split(/[,:]/)
    .map((h) => h.trim())
    .filter(Boolean);
  return hosts.length > 0 ? hosts : INVENTORY_HOSTS;
}

/** A task name with `{{ var }}` replaced by the extra var's value, for display only. */
function withVars(text: string, vars: Record<string, unknown>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => String(vars[name] ?? 'undefined'));
}

/** How many tasks have finished: all once the job ended on its own, else by elapsed time. */
function tasksDone(job: JobRecord, total: number, nowMs: number): number {
  if (job.status === 'successful' || job.status === 'failed') return total;
  const start = job.startedMs ?? nowMs;
  const end = job.createdMs + job.durationMs;
  const at = job.canceledMs ?? nowMs;
  const share = end > start ? (at - start) / (end - start) : 1;
  return Math.max(0, Math.min(total - 1, Math.floor(share * total)));
}

function heading(kind: string, name: string): string {
  const text = name ? `${kind} [${name}] ` : `${kind} `;
  return text.padEnd(80, '*');
}

function taskResult(index: number, host: string, fails: boolean, job: JobRecord): string[] {
  if (fails)
    return [
      `fatal: [${host}]: FAILED! => {"changed": false, "msg": "${FAIL_VAR} is set: this sandbox job fails on purpose"}`,
    ];
  if (index === 0) return [`ok: [${host}]`];
  if (index === 1) {
    const shown = JSON.stringify({ limit: job.limit, extra_vars: job.extraVars }, null, 4).replace(/\n/g, '\n    ');
    return [`ok: [${host}] => {`, `    "msg": ${shown}`, '}'];
  }
  return [`changed: [${host}]`];
}

function recapLine(host: string, tasks: number, failed: boolean): string {
  const ok = failed ? tasks - 1 : tasks;
  const changed = ok - 2;
  const count = (name: string, n: number) => `${name}=${String(n).padEnd(4)}`;
  return `${host.padEnd(26)} : ${count('ok', ok)} ${count('changed', changed)} ${count('unreachable', 0)} ${count('failed', failed ? 1 : 0)} ${count('skipped', 0)} ${count('rescued', 0)} ${count('ignored', 0)}`;
}
