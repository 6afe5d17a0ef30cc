import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { parse, stringify } from 'yaml';
import { silentLogger } from '../../src/observability/logger';
import { createSandbox, type Sandbox } from '../../sandbox/server';
import { openTestStore, TEST_POSTGRES_URL, type TestStore } from '../helpers/stores';
import {
  successNotesByIncident,
  startServe,
  waitFor as eventually,
  waitHealthy,
  type SnowlineProcess as Instance,
} from '../helpers/snowline-process';
import { freePort } from '../helpers/waiting';

/**
 * Three real Snowline processes share one PostgreSQL schema, one Redis and one sandbox instance.
 * Incidents arrive by polling (only the leader polls); the leader is killed with SIGKILL while runs
 * are in flight. The survivors take over its leases and its leadership, and every incident is
 * resolved once, with one controller job per run step and no event left unprocessed.
 */

const INCIDENTS = 30;
const REPO_ROOT = join(__dirname, '..', '..');
const REDIS_URL = process.env.SNOWLINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

jest.setTimeout(90_000);

describe('three Snowline instances on one PostgreSQL schema', () => {
  let t: TestStore;
  let dir: string;
  let sandbox: Sandbox;
  let sn: AxiosInstance;
  const instances: Instance[] = [];

  /** Short leases and a quick leader check, so a killed instance's work moves within seconds. */
  function writeConfig(): string {
    const config = parse(readFileSync(join(REPO_ROOT, 'config', 'default.yaml'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    config.engine = { ...config.engine, leaseMs: 3000, leaderCheckMs: 500, tickMs: 100 };
    const file = join(dir, 'snowline.yaml');
    writeFileSync(file, stringify(config));
    return file;
  }

  async function startInstance(configFile: string, sandboxUrl: string): Promise<Instance> {
    const instance = startServe(await freePort(), {
      SNOWLINE_CONFIG: configFile,
      DATABASE_URL: TEST_POSTGRES_URL,
      SNOWLINE_DB_SCHEMA: t.options.postgresSchema!,
      SNOWLINE_REDIS_URL: REDIS_URL,
      SERVICENOW_URL: sandboxUrl,
      SERVICENOW_USER: 'admin',
      SERVICENOW_PASSWORD: 'admin',
      AWX_URL: sandboxUrl,
      AWX_TOKEN: 'sandbox',
      SNOWLINE_WEBHOOK_SECRET: 'multi-instance-webhook-secret',
      SNOWLINE_JWT_SECRET: 'multi-instance-jwt-secret-0123456789',
      SNOWLINE_POLL_SECONDS: '1',
    });
    instances.push(instance);
    return instance;
  }

  const isLeader = async (instance: Instance) => {
    const res = await axios.get(`${instance.url}/readyz`, { validateStatus: () => true, timeout: 2000 });
    return (res.data as { checks?: { leader?: boolean } }).checks?.leader === true;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'snowline-multi-'));
    // Migrated once up front, as a deployment would before scaling out.
    t = await openTestStore('postgres');
    sandbox = createSandbox({
      user: 'admin',
      password: 'admin',
      awxToken: 'sandbox',
      webhookSecret: 'unused',
      webhooksEnabled: false,
      jobDurationMs: 1500,
      logger: silentLogger(),
    });
    const { url } = await sandbox.listen(0, '127.0.0.1');
    sn = axios.create({ baseURL: url, auth: { username: 'admin', password: 'admin' } });
    const configFile = writeConfig();
    await Promise.all([1, 2, 3].map(() => startInstance(configFile, url)));
    for (const instance of instances) await waitHealthy(instance);
  });

  afterAll(async () => {
    for (const instance of instances) if (instance.process.exitCode === null) instance.process.kill('SIGKILL');
    await sandbox?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('completes every run once when the leader is killed mid-run', async () => {
    const leaders = await eventually(async () => {
      const flags = await Promise.all(instances.map(isLeader));
      return flags.filter(Boolean).length === 1 ? flags : undefined;
    }, 'one instance leads');
    const leader = instances[leaders.indexOf(true)]!;

    const sysIds: string[] = [];
    const openIncidents = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const { data } = await sn.post('/api/now/table/incident', {
          short_description: `nginx is down on web-${String(sysIds.length).padStart(2, '0')}`,
        });
        sysIds.push((data as { result: { sys_id: string } }).result.sys_id);
      }
    };
    await openIncidents((INCIDENTS * 2) / 3);
    // Kill the leader while runs are in flight: some jobs launched, not all incidents resolved.
    await eventually(
      async () => ((await sn.get('/api/v2/jobs/')).data.count >= INCIDENTS / 3 ? true : undefined),
      'a third of the jobs launched',
    );
    leader.process.kill('SIGKILL');
    // Only a leader polls: these incidents reach Snowline only if a survivor took over.
    await openIncidents(INCIDENTS / 3);

    const survivors = instances.filter((i) => i !== leader);
    await eventually(
      async () => ((await Promise.all(survivors.map(isLeader))).filter(Boolean).length === 1 ? true : undefined),
      'a survivor leads',
    );
    await eventually(
      async () => {
        const { data } = await sn.get('/api/now/table/incident', {
          params: { sysparm_query: 'short_descriptionLIKEnginx is down^state!=6', sysparm_fields: 'number' },
        });
        return (data as { result: unknown[] }).result.length === 0 ? true : undefined;
      },
      'every incident is resolved',
      45_000,
    );

    const successNotes = await successNotesByIncident(sn);
    expect(sysIds.map((id) => successNotes.get(id) ?? 0)).toEqual(Array(INCIDENTS).fill(1));

    // A run is succeeded once its delivery is recorded, a moment after the ticket shows the note
    // (or at the next sweep, when the instance that delivered it was the one killed).
    const allRuns = () => t.store.db.selectFrom('runs').select(['id', 'state', 'sys_id']).execute();
    await eventually(
      async () => ((await allRuns()).filter((r) => r.state === 'succeeded').length === INCIDENTS ? true : undefined),
      'every run succeeded',
    ).catch(() => undefined);
    const runs = await allRuns();
    expect(runs.filter((r) => r.state === 'succeeded')).toHaveLength(INCIDENTS);
    expect(new Set(runs.map((r) => r.sys_id)).size).toBe(INCIDENTS);
    const controllerSteps = await t.store.db
      .selectFrom('steps')
      .select('id')
      .where('connector', '=', 'ansible')
      .execute();
    const { data: jobs } = await sn.get('/api/v2/jobs/', { params: { page_size: 200 } });
    expect((jobs as { count: number }).count).toBe(controllerSteps.length);
    expect(controllerSteps).toHaveLength(INCIDENTS);
    // An event the killed leader had claimed is taken over once its lease runs out, not before.
    const pendingEvents = () =>
      t.store.db.selectFrom('inbox_events').select(['seq', 'status']).where('status', '=', 'pending').execute();
    await eventually(
      async () => ((await pendingEvents()).length === 0 ? true : undefined),
      'no event left pending',
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await pendingEvents())}`);
    });
  });
});
