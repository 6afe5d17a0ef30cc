import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { eventually } from './waiting';

const REPO_ROOT = join(__dirname, '..', '..');
/** `snowline serve` from the TypeScript sources (tsx), so tests that start real processes need no build. */
const SERVE = ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'entry.ts'), 'serve'];

export interface SnowlineProcess {
  url: string;
  process: ChildProcess;
  output: string[];
}

/** Starts `snowline serve` on `port` with only the given environment (and PATH); its output is kept for failure messages. */
export function startServe(port: number, env: Record<string, string>): SnowlineProcess {
  const child = spawn(process.execPath, SERVE, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started: SnowlineProcess = { url: `http://127.0.0.1:${port}`, process: child, output: [] };
  child.stdout!.on('data', (d: Buffer) => started.output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => started.output.push(d.toString()));
  return started;
}

/** `eventually` for probes of a process that may be down: a probe that throws counts as not yet. */
export function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 40_000): Promise<T> {
  return eventually(() => probe().catch(() => undefined), timeoutMs, what);
}

/** Waits until the process answers /healthz; on timeout the error carries its output. */
export async function waitHealthy(started: SnowlineProcess, timeoutMs = 45_000): Promise<void> {
  await waitFor(
    () => axios.get(`${started.url}/healthz`, { timeout: 2000 }).then(() => true),
    'the instance answers',
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; its output:\n${started.output.join('')}`);
  });
}

/** Work notes saying a run succeeded, counted per incident sys_id, read through the sandbox's Table API. */
export async function successNotesByIncident(sn: AxiosInstance): Promise<Map<string, number>> {
  const { data } = await sn.get('/api/now/table/sys_journal_field', {
    params: { sysparm_query: 'element=work_notes', sysparm_fields: 'element_id,value', sysparm_limit: 10_000 },
  });
  const counts = new Map<string, number>();
  for (const note of (data as { result: { element_id: string; value: string }[] }).result) {
    if (/succeeded/.test(note.value)) counts.set(note.element_id, (counts.get(note.element_id) ?? 0) + 1);
  }
  return counts;
}
