import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { parse, stringify } from 'yaml';
import type { RunningApp } from '../../src/app/app';
import { startServing } from '../../src/cli/start-serving';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { issueToken } from '../../src/security/jwt';
import type { FaultPlanInput, FaultTarget } from '../../sandbox/faults/fault-injector';
import { eventually, freePort } from '../helpers/waiting';

/**
 * The real app on its built-in sandbox, with the sandbox's fault injection (`/sandbox/faults`)
 * playing a misbehaving ServiceNow or AWX. Whatever goes wrong, every incident must end resolved
 * by exactly one controller job and exactly one work note. Timeouts, retry delays and the breaker
 * are scaled down through the config file so the whole suite stays well under a minute.
 */

/** Settings scaled for a test: short client timeouts, quick retries, a breaker that opens after 3 failures for 1.5 s. */
const SCALED = {
  engine: {
    tickMs: 50,
    retry: { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 1000 },
    breakers: { ansible: { failureThreshold: 3, resetAfterMs: 1500 } },
  },
  awx: { timeoutMs: 1500, pollIntervalMs: 200, retry: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 200 } },
  // One request per write-back, so the faults below count PATCHes (test/integration/engine/writeback-batch.test.ts: batches).
  // A write-back whose answer was lost is read back a third past the quota: 4 s here, not 40.
  servicenow: { timeoutMs: 1500, pollSeconds: 3600, batch: { enabled: false }, quotaMs: 3000 },
  sandbox: { jobDurationMs: 300 },
};

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = base[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object'
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

interface Harness {
  app: RunningApp;
  jwtSecret: string;
  /** The sandbox instance and controller, as the sandbox account. */
  sandbox: AxiosInstance;
  stop(): Promise<void>;
}

async function startSnowline(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'snowline-faults-'));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    stringify(merge(parse(readFileSync('config/default.yaml', 'utf8')) as Record<string, unknown>, SCALED)),
  );
  const [port, sandboxPort] = [await freePort(), await freePort()];
  const config = loadConfig({
    file: configFile,
    env: {
      PORT: String(port),
      SNOWLINE_SANDBOX_PORT: String(sandboxPort),
      SNOWLINE_DB: join(dir, 'snowline.db'),
      SNOWLINE_SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/servicenow`,
      LOG_LEVEL: 'error',
    },
  });
  const app = await startServing(config, createLogger('error'));
  const sandbox = axios.create({ baseURL: app.sandboxUrl, auth: { username: 'admin', password: 'admin' } });
  return {
    app,
    jwtSecret: config.security.jwtSecret,
    sandbox,
    async stop() {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function inject(h: Harness, target: FaultTarget, plan: FaultPlanInput): Promise<void> {
  await h.sandbox.put(`/sandbox/faults/${target}`, plan);
}

async function injected(h: Harness, target: FaultTarget): Promise<Record<string, number>> {
  return (await h.sandbox.get('/sandbox/faults')).data[target]?.injected ?? {};
}

/** Opens `count` "service is down" incidents; the sandbox's Business Rule posts each to Snowline. */
async function openIncidents(h: Harness, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await h.sandbox.post('/api/now/table/incident', {
      short_description: `svc${i} is down on web-0${(i % 2) + 1}`,
    });
    ids.push(created.data.result.sys_id as string);
  }
  return ids;
}

/**
 * Waits until every incident is resolved, then checks the promise of the whole suite: each has
 * exactly one work note (naming the one controller job launched for it) and that job only.
 */
async function expectEachResolvedOnce(h: Harness, sysIds: string[]): Promise<void> {
  for (const sysId of sysIds) {
    await eventually(async () => {
      const { data } = await h.sandbox.get(`/api/now/table/incident/${sysId}`, { params: { sysparm_fields: 'state' } });
      return data.result.state === '6' ? true : undefined;
    });
  }
  const jobs = (await h.sandbox.get('/api/v2/jobs/', { params: { page_size: 200 } })).data.results as Array<{
    id: number;
    extra_vars: string;
  }>;
  for (const sysId of sysIds) {
    const notes = (
      await h.sandbox.get('/api/now/table/sys_journal_field', {
        params: { sysparm_query: `element_id=${sysId}^element=work_notes` },
      })
    ).data.result as Array<{ value: string }>;
    const launched = jobs.filter(
      (j) =>
        (JSON.parse(j.extra_vars) as { snowline: { ticket: { sys_id: string } } }).snowline.ticket.sys_id === sysId,
    );
    expect({ sysId, notes: notes.length, jobs: launched.length }).toEqual({ sysId, notes: 1, jobs: 1 });
    expect(notes[0]!.value).toContain(`controller job ${launched[0]!.id}`);
    expect(notes[0]!.value).toContain('Outcome: succeeded');
  }
}

async function metric(h: Harness, line: string): Promise<number | undefined> {
  const text = (await axios.get(`${h.app.url}/metrics`)).data as string;
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

async function circuits(h: Harness): Promise<Record<string, string>> {
  const res = await axios.get(`${h.app.url}/readyz`, { validateStatus: () => true });
  return res.data.checks.circuits as Record<string, string>;
}

describe('fault injection on the real app and sandbox', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startSnowline();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('a burst of 429s with Retry-After from ServiceNow delays the write-backs; none is lost or sent twice', async () => {
    // The write-backs come after the 300 ms jobs: the burst is in place before the first PATCH.
    const ids = await openIncidents(h, 4);
    await inject(h, 'servicenow', { rateLimitBurst: 8, retryAfterSeconds: 1, methods: ['PATCH'] });
    await expectEachResolvedOnce(h, ids);
    // Eight PATCHes turned away, then exactly one per incident let through.
    expect(await injected(h, 'servicenow')).toEqual({ '429': 8, pass: 4 });
  });

  it('5xx answers to AWX launches are retried, and each incident still gets one job', async () => {
    await inject(h, 'awx', { failNext: 4, failStatus: 503, methods: ['POST'], pathIncludes: '/launch/' });
    const ids = await openIncidents(h, 3);
    await expectEachResolvedOnce(h, ids);
    // Four launches refused, then exactly one per incident let through.
    expect(await injected(h, 'awx')).toEqual({ '503': 4, pass: 3 });
    expect(
      await metric(h, 'snowline_step_retries_total{action="ansible.launch_job_template",failure="transient"}'),
    ).toBeGreaterThan(0);
  });

  it('launches and write-backs answered after the client gave up are ambiguous: looked up, never repeated', async () => {
    // The controller launches the jobs and ServiceNow applies a PATCH, but both answer after the 1.5 s client timeout.
    await inject(h, 'awx', { slowNext: 2, slowMs: 2500, methods: ['POST'], pathIncludes: '/launch/' });
    await inject(h, 'servicenow', { slowNext: 1, slowMs: 2500, methods: ['PATCH'] });
    const ids = await openIncidents(h, 3);
    await expectEachResolvedOnce(h, ids);
    // The late PATCH is read back once the quota has passed, and found in the journal.
    const alreadyDelivered = 'snowline_writebacks_total{result="already_delivered"}';
    expect(await eventually(async () => (await metric(h, alreadyDelivered)) || undefined)).toBe(1);
    // Two launches answered late (their jobs found again by idempotency key), one answered in time: three launches in all.
    expect(await injected(h, 'awx')).toEqual({ slow: 2, pass: 1 });
    // The other two incidents' PATCHes went through once, and the late one was not sent again.
    expect(await injected(h, 'servicenow')).toEqual({ slow: 1, pass: 2 });
    expect(
      await metric(h, 'snowline_step_retries_total{action="ansible.launch_job_template",failure="ambiguous"}'),
    ).toBe(2);
  });

  it('AWX down for a while: the circuit opens (readyz, metrics), steps wait instead of failing, then it closes and every run completes once', async () => {
    await inject(h, 'awx', { downForSeconds: 4, errorStatus: 503 });
    const ids = await openIncidents(h, 6);
    await eventually(async () => ((await circuits(h)).ansible === 'open' ? true : undefined));
    expect(await metric(h, 'snowline_circuit_state{connector="ansible"}')).toBe(2);
    const token = issueToken(
      { secret: h.jwtSecret, issuer: 'snowline', audience: 'snowline-api' },
      'faults',
      ['viewer'],
      300,
    );
    const waiting = await eventually(async () => {
      const { data } = await axios.get(`${h.app.url}/api/v1/runs`, {
        params: { limit: 50 },
        headers: { Authorization: `Bearer ${token}` },
      });
      const runs = data as Array<{ state: string; steps: Array<{ waitingFor: string | null }> }>;
      return runs.length === 6 && runs.some((r) => r.steps[0]!.waitingFor === 'circuit open for connector ansible')
        ? runs
        : undefined;
    });
    expect(waiting.map((r) => r.state)).toEqual(Array(6).fill('running'));

    await expectEachResolvedOnce(h, ids);
    expect(await circuits(h)).toMatchObject({ ansible: 'closed' });
    expect(await metric(h, 'snowline_circuit_state{connector="ansible"}')).toBe(0);
    expect(await metric(h, 'snowline_runs_finished_total{rule="restart-service-when-down",outcome="succeeded"}')).toBe(
      6,
    );
    expect(
      await metric(h, 'snowline_runs_finished_total{rule="restart-service-when-down",outcome="failed"}'),
    ).toBeUndefined();
  });
});
