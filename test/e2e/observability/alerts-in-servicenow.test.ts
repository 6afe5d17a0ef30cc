import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { stringify } from 'yaml';
import type { RunningApp } from '../../../src/app/app';
import { startServing } from '../../../src/cli/start-serving';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/observability/logger';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { eventually, freePort } from '../../helpers/waiting';

/**
 * Snowline watching itself, on the real app and the sandbox: a step that slows down and a rule that
 * keeps failing on one CI each open exactly one incident, which is resolved once the condition
 * clears; the incidents never start a rule themselves.
 */

const RULE = 'restart-for-alerts';
const MAPPING = {
  table: 'incident',
  rules: [
    {
      id: RULE,
      description: 'Restart a service; fails when the ticket description says true',
      owner: 'Linux Ops',
      risk: 'low',
      on: ['inserted'],
      condition: 'active=true^short_descriptionLIKEis down on',
      params: {
        service: "{{ ticket.short_description | capture: '^([A-Za-z0-9_.-]+) is down on' | lower }}",
        fail: '{{ ticket.description }}',
      },
      steps: [
        {
          name: 'restart',
          use: 'ansible.launch_job_template',
          with: {
            job_template: 'Restart service',
            extra_vars: { service_name: '{{ params.service }}', sandbox_fail: '{{ params.fail }}' },
          },
        },
      ],
      writeback: { success: { work_note: 'restarted' }, failure: { work_note: 'restart failed ({{ error }})' } },
    },
  ],
};

const OVERLAY = {
  awx: { pollIntervalMs: 100 },
  engine: { tickMs: 50 },
  observability: {
    // SLO burn is covered by test/unit/slo; here it stays quiet so each condition stands alone.
    slo: { minRuns: 100_000 },
    alerts: {
      evaluateSeconds: 1,
      updateEverySeconds: 3600,
      // A slow run here takes twenty times the usual or more (2.5 s per controller call, against a
      // 200 ms job); a usual run on a loaded CI machine was seen to take over four times its
      // history, which must not count as slow.
      anomaly: { minSamples: 5, consecutive: 2, minRatio: 8 },
      repeatedFailures: { count: 3, windowMinutes: 60 },
    },
  },
};

describe.each(ENGINES)('alerts raised in ServiceNow (%s)', (engine) => {
  let app: RunningApp;
  let dir: string;
  let testStore: TestStore | undefined;
  let sn: AxiosInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'snowline-alerts-'));
    mkdirSync(join(dir, 'mappings'));
    writeFileSync(join(dir, 'mappings', 'incident.yaml'), stringify(MAPPING));
    writeFileSync(join(dir, 'overlay.yaml'), stringify(OVERLAY));
    const [port, sandboxPort] = [await freePort(), await freePort()];
    const storeEnv: Record<string, string> = { SNOWLINE_DB: join(dir, 'snowline.db') };
    if (engine === 'postgres') {
      testStore = await openTestStore('postgres');
      storeEnv.DATABASE_URL = testStore.options.postgresUrl!;
      storeEnv.SNOWLINE_DB_SCHEMA = testStore.options.postgresSchema!;
    }
    const config = loadConfig({
      file: join(dir, 'overlay.yaml'),
      env: {
        ...storeEnv,
        PORT: String(port),
        SNOWLINE_SANDBOX_PORT: String(sandboxPort),
        SNOWLINE_SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/servicenow`,
        SNOWLINE_SANDBOX_DB: ':memory:',
        SNOWLINE_SANDBOX_JOB_MS: '200',
        SNOWLINE_SANDBOX_LATENCY: 'off',
        SNOWLINE_MAPPINGS: join(dir, 'mappings'),
        SNOWLINE_POLL_SECONDS: '3600',
        LOG_LEVEL: 'error',
      },
    });
    app = await startServing(config, createLogger('error'));
    sn = axios.create({ baseURL: app.sandboxUrl, auth: { username: 'admin', password: 'admin' } });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await testStore?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ciOf = async (name: string): Promise<string> => {
    const { data } = await sn.get('/api/now/table/cmdb_ci', { params: { sysparm_query: `name=${name}` } });
    return data.result[0].sys_id as string;
  };

  /** Opens incidents the rule acts on, one after the other, and waits until each run has ended. */
  async function runRule(count: number, ci: string, fail = false): Promise<void> {
    for (let i = 0; i < count; i++) {
      const { data } = await sn.post('/api/now/table/incident', {
        short_description: `nginx is down on host-${i}`,
        description: fail ? 'true' : 'false',
        cmdb_ci: ci,
      });
      const sysId = data.result.sys_id as string;
      await eventually(async () => {
        const notes = await sn.get('/api/now/table/sys_journal_field', {
          params: { sysparm_query: `element_id=${sysId}^element=work_notes` },
        });
        return notes.data.result.length > 0 ? true : undefined;
      }, 60_000);
    }
  }

  const alertIncidents = async (): Promise<Array<Record<string, string>>> => {
    const { data } = await sn.get('/api/now/table/incident', {
      params: {
        sysparm_query: 'short_descriptionSTARTSWITH[Snowline]',
        sysparm_fields: 'sys_id,number,state,correlation_id',
      },
    });
    return data.result;
  };

  const alertRecord = (key: string, state?: string) =>
    eventually(
      async () => {
        const found = (await alertIncidents()).filter((i) => i.correlation_id === key);
        return found.length > 0 && (state === undefined || found.every((i) => i.state === state)) ? found : undefined;
      },
      // Generous: the machine may be busy, and the evaluation runs every second.
      60_000,
      `incident for ${key}${state ? ` in state ${state}` : ''}`,
    );

  it('opens one incident for a step that slows down, and resolves it when the step is fast again', async () => {
    const ci = await ciOf('web-01');
    await runRule(6, ci);
    await axios.put(
      `${app.sandboxUrl}/sandbox/latency`,
      { awx: { ms: 2500 } },
      { auth: { username: 'admin', password: 'admin' } },
    );
    await runRule(2, ci);
    const key = `anomaly:${RULE}:restart`;
    expect(await alertRecord(key)).toHaveLength(1);
    await axios.put(`${app.sandboxUrl}/sandbox/latency`, {}, { auth: { username: 'admin', password: 'admin' } });
    await runRule(1, ci);
    const resolved = await alertRecord(key, '6');
    expect(resolved).toHaveLength(1);
  }, 240_000);

  it('opens one incident for a rule failing again and again on one CI, and resolves it after a success', async () => {
    const ci = await ciOf('web-02');
    await runRule(4, ci, true);
    const key = `failures:ci:${RULE}:${ci}`;
    const opened = await alertRecord(key);
    expect(opened).toHaveLength(1);
    // Still failing: the same record is kept, none added.
    await runRule(1, ci, true);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await alertIncidents()).filter((i) => i.correlation_id === key)).toHaveLength(1);
    await runRule(1, ci);
    expect(await alertRecord(key, '6')).toHaveLength(1);
  }, 240_000);

  it('raised nothing else, and started no run for the incidents it raised', async () => {
    const keys = (await alertIncidents()).map((i) => i.correlation_id).sort();
    expect(keys).toEqual([`anomaly:${RULE}:restart`, `failures:ci:${RULE}:${await ciOf('web-02')}`].sort());
    const jobs = await sn.get('/api/v2/jobs/');
    // 6 + 2 + 1 + 4 + 1 + 1 runs of the rule, each one job: the alert incidents launched none.
    expect(jobs.data.count).toBe(15);
  });
});
