import { spawn } from 'node:child_process';
import { join } from 'node:path';
import axios from 'axios';
import { eventually } from '../helpers/waiting';
import { processCpuMs } from './process-cpu';

export interface SandboxProcess {
  url: string;
  /** CPU time (ms) the sandbox has used so far; undefined where /proc cannot tell. */
  cpuMs(): number | undefined;
  stop(): Promise<void>;
}

/**
 * `snowline sandbox` in a process of its own, where a real instance and controller would be: the
 * simulated ServiceNow and AWX do not take their share of the event loop Snowline is measured on.
 * Jobs end at once, its Business Rule sends nothing (the bench posts the events), records live in memory.
 */
export async function startSandboxProcess(port: number): Promise<SandboxProcess> {
  const cli = join(__dirname, '..', '..', '..', 'bin', 'snowline.js');
  const child = spawn(process.execPath, [cli, 'sandbox'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      SNOWLINE_SANDBOX_PORT: String(port),
      SNOWLINE_SANDBOX_WEBHOOKS: 'false',
      SNOWLINE_SANDBOX_DB: ':memory:',
      SNOWLINE_SANDBOX_JOB_MS: '0',
      LOG_LEVEL: 'error',
    },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const answers = () =>
    axios.get(`${url}/api/now/table/incident?sysparm_limit=1`, { auth: SANDBOX_ADMIN, timeout: 1000 }).then(
      () => true,
      () => {
        if (child.exitCode !== null) throw new Error(`the sandbox exited with ${child.exitCode}`);
        return undefined;
      },
    );
  await eventually(answers, 30_000, 'the sandbox answered').catch((err: unknown) => {
    child.kill();
    throw err;
  });
  return {
    url,
    cpuMs: () => (child.pid === undefined ? undefined : processCpuMs(child.pid)),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export const SANDBOX_ADMIN = { username: 'admin', password: 'admin' };
