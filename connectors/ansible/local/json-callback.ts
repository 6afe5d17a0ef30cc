import { z } from 'zod';
import type { HostResult } from './schemas';

/**
 * Reading the output of the JSON stdout callback (`ansible.posix.json`): one JSON document with
 * `plays[].tasks[].hosts{}`, `stats{}` per host and `global_custom_stats` (set_stats data).
 */
const callbackOutputSchema = z
  .object({
    plays: z
      .array(
        z
          .object({
            tasks: z
              .array(
                z
                  .object({
                    task: z.object({ name: z.string().default('') }).passthrough(),
                    hosts: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
                  })
                  .passthrough(),
              )
              .default([]),
          })
          .passthrough(),
      )
      .default([]),
    stats: z.record(z.string(), z.record(z.string(), z.number())).default({}),
    global_custom_stats: z.record(z.string(), z.unknown()).default({}),
  })
  .passthrough();

export interface PlaybookOutcome {
  hosts: Record<string, HostResult>;
  messages: Array<{ task: string; host: string; msg: unknown }>;
  failedTasks: Array<{ task: string; host: string; msg: unknown }>;
  stats: Record<string, unknown>;
}

/**
 * Parses the callback's stdout. Warnings Ansible prints before the document are skipped (the
 * document starts at the first line that is `{`). Undefined when there is no such document, e.g.
 * when ansible-playbook stopped on a syntax error before any play.
 */
export function parseCallbackOutput(stdout: string): PlaybookOutcome | undefined {
  const start = stdout.search(/^\{/m);
  if (start < 0) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(stdout.slice(start));
  } catch {
    return undefined;
  }
  const parsed = callbackOutputSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const out = parsed.data;
  const hosts: Record<string, HostResult> = {};
  for (const [host, s] of Object.entries(out.stats)) {
    hosts[host] = {
      ok: s.ok ?? 0,
      changed: s.changed ?? 0,
      failures: s.failures ?? 0,
      unreachable: s.unreachable ?? 0,
      skipped: s.skipped ?? 0,
      rescued: s.rescued ?? 0,
      ignored: s.ignored ?? 0,
    };
  }
  const messages: PlaybookOutcome['messages'] = [];
  const failedTasks: PlaybookOutcome['failedTasks'] = [];
  for (const play of out.plays) {
    for (const task of play.tasks) {
      for (const [host, result] of Object.entries(task.hosts)) {
        const entry = { task: task.task.name, host, msg: result.msg };
        if (result.msg !== undefined) messages.push(entry);
        if (result.failed === true || result.unreachable === true) failedTasks.push(entry);
      }
    }
  }
  return { hosts, messages, failedTasks, stats: out.global_custom_stats };
}

/** A PLAY RECAP-like summary for the ticket write-back. */
export function recapText(outcome: PlaybookOutcome): string {
  const lines = Object.entries(outcome.hosts).map(
    ([host, s]) =>
      `${host}: ok=${s.ok} changed=${s.changed} unreachable=${s.unreachable} failed=${s.failures} skipped=${s.skipped} rescued=${s.rescued} ignored=${s.ignored}`,
  );
  for (const f of outcome.failedTasks)
    lines.push(`FAILED ${f.host} [${f.task}]: ${typeof f.msg === 'string' ? f.msg : JSON.stringify(f.msg ?? '')}`);
  return lines.join('\n');
}
