import axios, { type AxiosInstance } from 'axios';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../../sandbox/server';

/** A sandbox listening on a free port, with clients for its two APIs. */
export interface RunningSandbox {
  sandbox: Sandbox;
  url: string;
  /** Table API client: basic auth admin/admin, JSON, never throws on a status. */
  snow: AxiosInstance;
  /** Controller client: bearer token `sandbox`. */
  awx: AxiosInstance;
}

export const SANDBOX_DEFAULTS: SandboxOptions = {
  user: 'admin',
  password: 'admin',
  awxToken: 'sandbox',
  webhookSecret: 'test-webhook-secret',
  webhooksEnabled: false,
  jobDurationMs: 100,
};

export async function startSandbox(options: Partial<SandboxOptions> = {}): Promise<RunningSandbox> {
  const sandbox = createSandbox({ ...SANDBOX_DEFAULTS, ...options });
  const { url } = await sandbox.listen(0);
  const common = { baseURL: url, validateStatus: () => true };
  return {
    sandbox,
    url,
    snow: axios.create({
      ...common,
      auth: { username: 'admin', password: 'admin' },
      headers: { Accept: 'application/json' },
    }),
    awx: axios.create({ ...common, headers: { Authorization: 'Bearer sandbox' } }),
  };
}

/** Polls `probe` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A 32-character lowercase hex sys_id (docs/servicenow-behaviour.md §1.4). */
export const SYS_ID = /^[0-9a-f]{32}$/;
/** A raw date-time, UTC (docs/servicenow-behaviour.md §1.4). */
export const GLIDE_DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
