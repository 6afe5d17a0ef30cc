import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningApp } from '../../src/app/app';
import { startServing } from '../../src/cli/start-serving';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/observability/logger';
import { runCli } from '../helpers/run-cli';
import { freePort } from '../helpers/waiting';

/** `snowline loadtest` against a running Snowline on its sandbox: tickets in, runs through, figures out. */
describe('snowline loadtest', () => {
  jest.setTimeout(180_000);
  let dir: string;
  let app: RunningApp;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'snowline-loadtest-'));
    const [port, sandboxPort] = [await freePort(), await freePort()];
    env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      SNOWLINE_SANDBOX_PORT: String(sandboxPort),
      SNOWLINE_SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/servicenow`,
      SNOWLINE_SANDBOX_JOB_MS: '100',
      SNOWLINE_DB: join(dir, 'snowline.db'),
      LOG_LEVEL: 'error',
    };
    app = await startServing(loadConfig({ env: { ...process.env, ...env } }), silentLogger());
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates matching tickets at the rate, follows every run to its end, and says the SLO was missed', async () => {
    const result = await runCli(
      ['loadtest', '--rule', 'restart-service-when-down', '--rate', '2', '--duration', '3', '--p95-ms', '1'],
      env,
    );
    expect(result.stdout).toMatch(/rule restart-service-when-down: 6 tickets, 6 runs finished, 6 succeeded/);
    expect(result.stdout).toMatch(/ticket → run finished {2}p50 \d+ ms {2}p95 \d+ ms {2}p99 \d+ ms/);
    expect(result.stdout).toMatch(/SLO {9}MISSED: p95 \d+ ms > 1 ms \(command line\)/);
    expect(result.code).toBe(1);
  });
});
