import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ENTRY = join(__dirname, '..', '..', 'src', 'cli', 'entry.ts');
const REPO_ROOT = join(__dirname, '..', '..');

/**
 * Runs the real `snowline` command in a child process, from the TypeScript sources (no build
 * needed), with the given environment on top of the test's own; never rejects on a non-zero exit.
 */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const inherited = { ...process.env };
  // The store is the test's: a PostgreSQL URL in the developer's shell would take precedence over SNOWLINE_DB.
  delete inherited.DATABASE_URL;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', ENTRY, ...args],
      { cwd: REPO_ROOT, env: { ...inherited, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        const code = err ? Number(err.code) : 0;
        // Exit 2 is a command that could not run at all: its reason belongs in the test log.
        if (code === 2) process.stderr.write(`snowline ${args.join(' ')} exited 2: ${stderr}\n`);
        resolve({ code, stdout, stderr });
      },
    );
  });
}
