import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import Database from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import { silentLogger } from '../../src/observability/logger';
import { createSandbox, type Sandbox } from '../../sandbox/server';
import {
  startServe,
  successNotesByIncident,
  waitFor,
  waitHealthy,
  type SnowlineProcess,
} from '../helpers/snowline-process';
import { seededRandom, testSeed } from '../helpers/seeded-random';
import { freePort } from '../helpers/waiting';

/**
 * The crash test: 200 incidents arrive (webhooks, and polling for whatever was sent while Snowline
 * was down) while one Snowline process on SQLite is killed with SIGKILL at seeded moments, three
 * times, and restarted each time on the same file (SNOWLINE_CRASH_SEED replays a run's kills). At the end every incident has exactly one success
 * work note, the controller launched exactly one job per run step, and no event is left unprocessed.
 */

const INCIDENTS = 200;
const KILLS = 3;
const WEBHOOK_SECRET = 'crash-test-webhook-secret';
const SEED = testSeed('SNOWLINE_CRASH_SEED', 'crash test');

jest.setTimeout(240_000);

describe('a Snowline process killed with SIGKILL while 200 incidents are in flight', () => {
  let dir: string;
  let sandbox: Sandbox;
  let sn: AxiosInstance;
  let current: SnowlineProcess | undefined;

  afterAll(async () => {
    if (current?.process.exitCode === null) current.process.kill('SIGKILL');
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves every incident once, with one job per run step, whatever the kills interrupted', async () => {
    dir = mkdtempSync(join(tmpdir(), 'snowline-crash-'));
    const port = await freePort();
    sandbox = createSandbox({
      user: 'admin',
      password: 'admin',
      awxToken: 'sandbox',
      webhookUrl: `http://127.0.0.1:${port}/webhooks/servicenow`,
      webhookSecret: WEBHOOK_SECRET,
      webhooksEnabled: true,
      jobDurationMs: 400,
      logger: silentLogger(),
    });
    const { url } = await sandbox.listen(0, '127.0.0.1');
    sn = axios.create({ baseURL: url, auth: { username: 'admin', password: 'admin' } });
    const config = parse(readFileSync(join(__dirname, '..', '..', 'config', 'default.yaml'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    config.engine = { ...config.engine, tickMs: 100 };
    writeFileSync(join(dir, 'snowline.yaml'), stringify(config));
    const env = {
      SNOWLINE_CONFIG: join(dir, 'snowline.yaml'),
      SNOWLINE_DB: join(dir, 'snowline.db'),
      SERVICENOW_URL: url,
      SERVICENOW_USER: 'admin',
      SERVICENOW_PASSWORD: 'admin',
      AWX_URL: url,
      AWX_TOKEN: 'sandbox',
      SNOWLINE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      SNOWLINE_JWT_SECRET: 'crash-test-jwt-secret-0123456789abcdef',
      SNOWLINE_POLL_SECONDS: '2',
    };
    const start = async () => {
      current = startServe(port, env);
      await waitHealthy(current);
    };
    await start();

    const sysIds: string[] = [];
    const open = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const { data } = await sn.post('/api/now/table/incident', {
          short_description: `nginx is down on web-${String(sysIds.length).padStart(3, '0')}`,
        });
        sysIds.push((data as { result: { sys_id: string } }).result.sys_id);
      }
    };
    // Incidents keep arriving; the kills land at seeded moments among dispatch, launches, checks and write-backs.
    const random = seededRandom(SEED);
    for (let kill = 0; kill < KILLS; kill++) {
      await open(INCIDENTS / (KILLS + 1));
      await new Promise((r) => setTimeout(r, 300 + random() * 2000));
      current!.process.kill('SIGKILL');
      await new Promise((r) => current!.process.once('exit', r));
      await open(5);
      await start();
    }
    await open(INCIDENTS - sysIds.length);

    await waitFor(
      async () => {
        const { data } = await sn.get('/api/now/table/incident', {
          params: {
            sysparm_query: 'short_descriptionLIKEnginx is down^state!=6',
            sysparm_fields: 'number',
            sysparm_limit: 1,
          },
        });
        return (data as { result: unknown[] }).result.length === 0 ? true : undefined;
      },
      'every incident is resolved',
      150_000,
    );

    const successNotes = await successNotesByIncident(sn);
    expect(sysIds.map((id) => successNotes.get(id) ?? 0)).toEqual(Array(INCIDENTS).fill(1));
    const db = new Database(join(dir, 'snowline.db'), { readonly: true });
    try {
      const controllerSteps = db.prepare("SELECT count(*) AS n FROM steps WHERE connector = 'ansible'").get() as {
        n: number;
      };
      const { data: jobs } = await sn.get('/api/v2/jobs/', { params: { page_size: 1 } });
      expect(controllerSteps.n).toBe(INCIDENTS);
      expect((jobs as { count: number }).count).toBe(controllerSteps.n);
      // The last write-backs echo back (webhook and poll) a moment after the tickets resolve: those
      // events must be settled too, not left pending.
      const pending = db.prepare("SELECT seq, sys_id, status FROM inbox_events WHERE status = 'pending'");
      await waitFor(async () => (pending.all().length === 0 ? true : undefined), 'no event left pending', 30_000).catch(
        (err: Error) => {
          throw new Error(`${err.message}: ${JSON.stringify(pending.all())}`);
        },
      );
    } finally {
      db.close();
    }
  });
});
