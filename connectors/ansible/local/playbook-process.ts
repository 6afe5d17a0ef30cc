import { spawn } from 'node:child_process';

/** How one ansible-playbook (or ansible-inventory) process ended. */
export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last 64 KiB of stderr. */
  stderr: string;
  /** Why Snowline killed it, when it did. */
  killedFor?: 'timeout' | 'cancel' | 'output_limit';
  /** When the executable could not be started at all (ENOENT, EACCES). */
  spawnError?: NodeJS.ErrnoException;
}

export interface RunProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  killGraceMs: number;
  maxStdoutBytes: number;
  signal?: AbortSignal;
}

const STDERR_KEEP = 64 * 1024;

/**
 * Runs an executable with an argv array — never through a shell — in its own process group
 * (`detached`), so that a timeout, a cancel or runaway output kills ansible-playbook together with
 * every worker and module it forked: SIGTERM to the group, SIGKILL after the grace period.
 */
export function runProcess(file: string, args: readonly string[], options: RunProcessOptions): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let killedFor: ProcessOutcome['killedFor'];
    let spawnError: NodeJS.ErrnoException | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const killGroup = (reason: NonNullable<ProcessOutcome['killedFor']>) => {
      if (killedFor || child.pid === undefined) return;
      killedFor = reason;
      signalGroup(child.pid, 'SIGTERM');
      graceTimer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), options.killGraceMs);
      graceTimer.unref();
    };
    const timer = setTimeout(() => killGroup('timeout'), options.timeoutMs);
    const onAbort = () => killGroup('cancel');
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.byteLength;
      if (stdoutBytes > options.maxStdoutBytes) killGroup('output_limit');
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
      if (child.pid === undefined) {
        clearTimeout(timer);
        resolve({ exitCode: null, signal: null, stdout: '', stderr, spawnError });
      }
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      // The group may outlive its leader (a module still running): make sure it is gone.
      if (killedFor && child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      if (graceTimer) clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr, killedFor, spawnError });
    });
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has already exited.
  }
}
