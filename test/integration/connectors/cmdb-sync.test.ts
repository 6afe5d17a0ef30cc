import { ControllerClient } from '../../../connectors/ansible';
import { cmdbConfigSchema, cmdbSyncJobs, runCmdbSync, type CmdbConfig } from '../../../connectors/cmdb';
import { EndpointClient, httpConfigSchema } from '../../../connectors/http';
import { ServiceNowClient } from '../../../connectors/servicenow';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { eventually, startSandbox, type RunningSandbox } from '../sandbox/sandbox-harness';
import { startStub, type Stub } from './stub-server';

/** Scheduled CMDB syncs against the sandbox: sources, the diff, stale marking, the report. */
let sb: RunningSandbox;
let client: ServiceNowClient;
let controller: ControllerClient;
beforeEach(async () => {
  sb = await startSandbox({ jobDurationMs: 50 });
  client = new ServiceNowClient(
    { url: sb.url, auth: { type: 'basic', username: 'admin', password: 'admin' } },
    { sleep: async () => {} },
  );
  controller = new ControllerClient({ url: sb.url, token: 'sandbox' });
});
afterEach(async () => {
  await client.close();
  await controller.close();
  await sb.sandbox.close();
});

const DAY = 24 * 3600 * 1000;
const facts = (host: string, ip: string) => ({
  ansible_hostname: host,
  ansible_fqdn: `${host}.example.com`,
  ansible_default_ipv4: { address: ip },
  ansible_distribution: 'RedHat',
});

/** A facts-gathering job on the sandbox controller whose set_stats carry `hosts`. */
async function gatherFacts(hosts: Record<string, unknown>, template = 10): Promise<void> {
  const { data } = await sb.awx.post(`/api/v2/job_templates/${template}/launch/`, {
    extra_vars: { sandbox_artifacts: { host_facts: hosts } },
  });
  await eventually(async () =>
    (await sb.awx.get(`/api/v2/jobs/${data.id}/`)).data.status === 'successful' ? true : undefined,
  );
}

const ciRows = async (names: string) =>
  (
    await sb.snow.get(
      `/api/now/table/cmdb_ci?sysparm_query=nameIN${names}^ORDERBYname&sysparm_fields=name,sys_mod_count,install_status,last_discovered,ip_address`,
    )
  ).data.result;

function config(job: Record<string, unknown>): CmdbConfig {
  return cmdbConfigSchema.parse({
    syncs: [
      {
        name: 'facts',
        cron: '0 */6 * * *',
        source: { type: 'ansible_facts', job_template: 'Provision server' },
        ...job,
      },
    ],
  });
}

describe('scheduled CMDB sync from Ansible facts', () => {
  it('running the same sync twice changes nothing the second time; the report goes to logs, metrics and the change', async () => {
    await gatherFacts({ 'app-11': facts('app-11', '10.0.5.11'), 'app-12': facts('app-12', '10.0.5.12') });
    const change = (
      await sb.snow.post('/api/now/table/change_request', { short_description: 'CMDB sync reports', type: 'standard' })
    ).data.result;
    const cfg = config({ reportToChange: change.number });
    const metrics = createMetrics();
    const deps = { client, sources: { controller }, logger: silentLogger(), metrics };
    const [job] = cmdbSyncJobs(cfg, deps);
    expect(job).toMatchObject({ name: 'cmdb-sync:facts', cron: '0 */6 * * *' });

    const first = await runCmdbSync(cfg.syncs[0]!, cfg, deps);
    expect(first).toMatchObject({ source: 'facts', seen: 2, sent: 2, items: { inserted: 2 }, stale: 0, errors: [] });
    const before = await ciRows('app-11,app-12');
    expect(before.map((r: { name: string; ip_address: string }) => [r.name, r.ip_address])).toEqual([
      ['app-11', '10.0.5.11'],
      ['app-12', '10.0.5.12'],
    ]);
    expect(before[0].last_discovered).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    const second = await runCmdbSync(cfg.syncs[0]!, cfg, deps);
    expect(second).toMatchObject({ seen: 2, sent: 0, unchanged: 2, items: { inserted: 0, updated: 0 }, stale: 0 });
    expect(await ciRows('app-11,app-12')).toEqual(before);

    const text = await metrics.registry.getSingleMetricAsString('snowline_cmdb_sync_cis_total');
    expect(text).toContain('snowline_cmdb_sync_cis_total{sync="facts",result="inserted"} 2');
    expect(text).toContain('snowline_cmdb_sync_cis_total{sync="facts",result="unchanged"} 2');
    const notes = (
      await sb.snow.get(`/api/now/table/sys_journal_field?sysparm_query=element_id=${change.sys_id}^element=work_notes`)
    ).data.result;
    expect(notes.map((n: { value: string }) => n.value)).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          'Snowline CMDB sync "facts": 2 CIs seen, 0 unchanged, 2 sent — 2 inserted, 0 updated, 0 marked stale, 0 errors.',
        ),
      ]),
    );
  });

  it('marks CIs not seen for N days stale (install_status Absent), never deletes them, and leaves other CIs alone', async () => {
    // Two facts jobs of different templates, so the second sync's source no longer has app-22.
    await gatherFacts({ 'app-21': facts('app-21', '10.0.6.21'), 'app-22': facts('app-22', '10.0.6.22') }, 10);
    await gatherFacts({ 'app-21': facts('app-21', '10.0.6.21') }, 9);
    const cfg = config({ staleAfterDays: 7 });
    const before = { ...cfg.syncs[0]! };
    const after = { ...before, source: { ...before.source, job_template: 'Patch host' } } as typeof before;
    const start = Date.now();
    const later = start + 10 * DAY;
    // The CMDB clock moves 10 days; the controller's jobs are read as of now.
    const at = (ms: number) => ({ client, sources: { controller }, logger: silentLogger(), now: () => ms });
    expect(await runCmdbSync(before, cfg, at(start))).toMatchObject({ items: { inserted: 2 }, stale: 0 });

    const report = await runCmdbSync(after, cfg, at(later));
    // app-21 is unchanged but its stamp is 10 days old: re-stamped; app-22 is stale.
    expect(report).toMatchObject({ seen: 1, sent: 1, stale: 1, errors: [] });
    const rows = await ciRows('app-21,app-22');
    expect(rows.map((r: { name: string; install_status: string }) => [r.name, r.install_status])).toEqual([
      ['app-21', '1'],
      ['app-22', '100'],
    ]);
    // Seeded CIs of the same data source were never stamped by a sync: not this sync's to judge.
    expect((await ciRows('web-01'))[0].install_status).toBe('1');

    const again = await runCmdbSync(after, cfg, at(later));
    expect(again).toMatchObject({ sent: 0, stale: 0 });
    expect(await ciRows('app-21,app-22')).toEqual(rows);
  });

  it('a dry run reports what would change and changes nothing', async () => {
    await gatherFacts({ 'app-31': facts('app-31', '10.0.7.31') });
    const cfg = config({ dryRun: true });
    const report = await runCmdbSync(cfg.syncs[0]!, cfg, { client, sources: { controller }, logger: silentLogger() });
    expect(report).toMatchObject({ dryRun: true, sent: 1, items: { inserted: 1 } });
    expect(await ciRows('app-31')).toEqual([]);
  });
});

describe('scheduled CMDB sync from a REST inventory', () => {
  let stub: Stub;
  beforeEach(async () => {
    stub = await startStub();
  });
  afterEach(() => stub.close());

  it('reads the list through an http endpoint and maps each item by response paths', async () => {
    stub.on('GET', '/inventory/vms', {
      body: {
        value: [
          { properties: { name: 'vm-41', ip: '10.0.8.41' } },
          { properties: { name: 'vm-42', ip: '10.0.8.42' } },
          { properties: { ip: 'nameless' } },
        ],
      },
    });
    const http = httpConfigSchema.parse({
      endpoints: { cloud: { baseUrl: `${stub.url}/inventory`, auth: { type: 'bearer', token: 't0k' } } },
    });
    const endpoints = new Map([['cloud', new EndpointClient('cloud', http.endpoints.cloud!)]]);
    const cfg = cmdbConfigSchema.parse({
      syncs: [
        {
          name: 'cloud',
          cron: '*/30 * * * *',
          source: {
            type: 'http',
            endpoint: 'cloud',
            path: '/vms',
            itemsPath: 'value',
            className: 'cmdb_ci_vm_instance',
            fields: { name: 'properties.name', ip_address: 'properties.ip' },
          },
        },
      ],
    });
    const report = await runCmdbSync(cfg.syncs[0]!, cfg, { client, sources: { endpoints }, logger: silentLogger() });
    expect(report).toMatchObject({ seen: 2, items: { inserted: 2 }, errors: [] });
    expect(stub.requests[0]!.headers.authorization).toBe('Bearer t0k');
    expect((await ciRows('vm-41,vm-42')).map((r: { ip_address: string }) => r.ip_address)).toEqual([
      '10.0.8.41',
      '10.0.8.42',
    ]);
  });
});

describe('sync configuration', () => {
  it('refuses a bad cron, a duplicate name, a refresh window longer than the stale window and an unmapped name', () => {
    const problems = (syncs: unknown[]) => {
      const parsed = cmdbConfigSchema.safeParse({ syncs });
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    const facts = { type: 'ansible_facts', job_template: 'Gather facts' };
    expect(problems([{ name: 'a', cron: 'every day', source: facts }])).toEqual([
      'syncs.0.cron: must be a cron expression (five fields, or six with seconds first)',
    ]);
    expect(
      problems([
        { name: 'a', cron: '0 * * * *', source: facts },
        { name: 'a', cron: '0 * * * *', source: facts },
      ]),
    ).toEqual(['syncs.1.name: sync "a" is declared twice']);
    expect(
      problems([{ name: 'a', cron: '0 * * * *', source: facts, staleAfterDays: 1, refreshAfterHours: 24 }]),
    ).toEqual([
      'syncs.0.refreshAfterHours: must be shorter than staleAfterDays, or CIs seen every run would turn stale',
    ]);
    expect(
      problems([
        {
          name: 'a',
          cron: '0 * * * *',
          source: {
            type: 'http',
            endpoint: 'e',
            path: '/x',
            itemsPath: 'v',
            className: 'cmdb_ci_server',
            fields: { ip_address: 'ip' },
          },
        },
      ]),
    ).toEqual(['syncs.0.source.fields: must map the CI field "name"']);
  });
});
