import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import type { RunningApp } from '../../src/app/app';
import { startServing } from '../../src/cli/start-serving';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { silentLogger } from '../../src/observability/logger';
import { createSandbox, type Sandbox } from '../../sandbox/server';
import { issueToken } from '../../src/security/jwt';
import { freePort } from '../helpers/waiting';

/** Start-up failures name the thing and the fix; a missing controller refuses only the rules that need one. */
const JWT = 'startup-jwt-secret-7d1c4b9e2a5f8c3e6b0d';
const WEBHOOK = 'startup-webhook-secret-3e6b9c2f5a8d1e4b';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'snowline-startup-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function occupy(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer().listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function startFailure(env: Record<string, string>): Promise<string[]> {
  const config = loadConfig({ env: { SNOWLINE_DB: join(dir, 'snowline.db'), LOG_LEVEL: 'error', ...env } });
  const started = await startServing(config, silentLogger()).then(
    async (app) => {
      await app.stop();
      return undefined;
    },
    (err: unknown) => err,
  );
  expect(started).toBeInstanceOf(ConfigError);
  return (started as ConfigError).lines;
}

describe('start-up', () => {
  it('a port in use says which port and which variable to set, and leaves nothing running', async () => {
    const [port, sandboxPort] = [await freePort(), await freePort()];
    const busy = await occupy(port);
    try {
      const lines = await startFailure({
        PORT: String(port),
        HOST: '127.0.0.1',
        SNOWLINE_SANDBOX_PORT: String(sandboxPort),
      });
      expect(lines).toEqual([
        `server.port: port ${port} is in use on 127.0.0.1; set PORT to a free port or stop what holds it`,
      ]);
      // The sandbox it had started is closed again: its port is free.
      const again = await occupy(sandboxPort);
      again.close();
    } finally {
      busy.close();
    }
  });

  it("the sandbox's port in use names SNOWLINE_SANDBOX_PORT", async () => {
    const [port, sandboxPort] = [await freePort(), await freePort()];
    const busy = await occupy(sandboxPort);
    try {
      const lines = await startFailure({ PORT: String(port), SNOWLINE_SANDBOX_PORT: String(sandboxPort) });
      expect(lines).toEqual([
        `sandbox.port: port ${sandboxPort} is in use on 127.0.0.1; set SNOWLINE_SANDBOX_PORT to a free port or stop what holds it`,
      ]);
    } finally {
      busy.close();
    }
  });
});

describe('a real instance without AWX_URL', () => {
  let instance: Sandbox;
  let instanceUrl: string;
  let app: RunningApp | undefined;

  beforeEach(async () => {
    instance = createSandbox({
      user: 'svc',
      password: 'instance-pw',
      awxToken: 'unused',
      webhookSecret: WEBHOOK,
      webhooksEnabled: false,
      jobDurationMs: 100,
      logger: silentLogger(),
    });
    instanceUrl = (await instance.listen(await freePort())).url;
  });
  afterEach(async () => {
    await app?.stop();
    await instance.close();
  });

  it('starts, and refuses by name only the rules that launch controller jobs', async () => {
    const config = loadConfig({
      env: {
        PORT: String(await freePort()),
        SNOWLINE_DB: join(dir, 'snowline.db'),
        SERVICENOW_URL: instanceUrl,
        SERVICENOW_USER: 'svc',
        SERVICENOW_PASSWORD: 'instance-pw',
        SNOWLINE_JWT_SECRET: JWT,
        SNOWLINE_WEBHOOK_SECRET: WEBHOOK,
        SNOWLINE_SECRET_KEY: 'ab'.repeat(32),
        SNOWLINE_POLL_SECONDS: '3600',
      },
    });
    app = await startServing(config, silentLogger());
    const ready = await axios.get(`${app.url}/readyz`, { validateStatus: () => true });
    const refused = ready.data.checks.rules.refused as { rule: string; needs: { connector: string; fix: string }[] }[];
    expect(refused.map((r) => r.rule)).toContain('restart-service-when-down');
    expect(refused[0]!.needs).toEqual([
      { connector: 'ansible', fix: 'no controller configured: set AWX_URL and AWX_TOKEN' },
    ]);
    const token = issueToken({ secret: JWT, issuer: 'snowline', audience: 'snowline-api' }, 'ops', ['viewer'], 60);
    const running = await axios.get(`${app.url}/api/v1/rules`, { headers: { authorization: `Bearer ${token}` } });
    const ids = (running.data.rules as { id: string }[]).map((r) => r.id);
    expect(ids).not.toContain('restart-service-when-down');
    // Rules that need no controller keep running.
    expect(ids.length).toBeGreaterThan(0);
  });
});
