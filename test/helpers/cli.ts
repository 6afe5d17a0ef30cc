import { execFile } from 'node:child_process';
import { join } from 'node:path';

const TSX = join(__dirname, '../../node_modules/tsx/dist/cli.mjs');
const ENTRY = join(__dirname, 'snowline-cli.ts');

/** Runs `snowline <args>` in a child process (from the sources) with `env` added; never rejects on a non-zero exit. */
export function runCli(args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX, ENTRY, ...args], { env: { ...process.env, LOG_LEVEL: 'error', ...env }, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : err ? 1 : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
