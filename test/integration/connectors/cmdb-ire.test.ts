import type { ActionContext } from '../../../connectors/connector';
import {
  ciFromAnsibleFacts,
  cmdbConfigSchema,
  cmdbConnector,
  syncCis,
  type CiItem,
  type CiRelation,
} from '../../../connectors/cmdb';
import { ServiceNowClient } from '../../../connectors/servicenow';
import { silentLogger } from '../../../src/observability/logger';
import { startSandbox, type RunningSandbox } from '../sandbox/sandbox-harness';

/** The sandbox's Identification and Reconciliation API (https://www.servicenow.com/docs/r/api-reference/rest-apis/c_IdentifyReconcileAPI.html) and the cmdb connector on it. */
let sb: RunningSandbox;
let client: ServiceNowClient;
beforeEach(async () => {
  sb = await startSandbox();
  client = new ServiceNowClient(
    { url: sb.url, auth: { type: 'basic', username: 'admin', password: 'admin' } },
    { sleep: async () => {} },
  );
});
afterEach(async () => {
  await client.close();
  await sb.sandbox.close();
});

const newServer = (ip = '10.0.3.31'): CiItem => ({
  className: 'cmdb_ci_linux_server',
  values: { name: 'app-01', host_name: 'app-01', ip_address: ip, serial_number: 'VMW-7A1C-0031', os: 'Linux Red Hat' },
  internal_id: 'app-01',
});

const ire = (body: unknown, path = '/api/now/identifyreconcile', dataSource = 'ServiceNow') =>
  sb.snow.post(`${path}?sysparm_data_source=${dataSource}`, body);

describe('sandbox POST /api/now/identifyreconcile (servicenow-behaviour §4.2)', () => {
  it('inserts an unknown CI, then reports NO_CHANGE, then UPDATE when a value changed', async () => {
    const first = await ire({ items: [newServer()] });
    expect(first.status).toBe(200);
    const inserted = first.data.result.items[0];
    expect(inserted).toMatchObject({
      className: 'cmdb_ci_linux_server',
      operation: 'INSERT',
      inputIndices: [0],
      errorCount: 0,
    });
    expect(inserted.identificationAttempts).toEqual([
      {
        identifierName: 'Hardware Rule',
        attemptResult: 'NO_MATCH',
        attributes: ['serial_number'],
        searchOnTable: 'cmdb_ci_hardware',
        hybridEntryCiAttributes: [],
      },
      {
        identifierName: 'Hardware Rule',
        attemptResult: 'NO_MATCH',
        attributes: ['name'],
        searchOnTable: 'cmdb_ci_hardware',
        hybridEntryCiAttributes: [],
      },
    ]);
    const row = await sb.snow.get(`/api/now/table/cmdb_ci_linux_server/${inserted.sysId}`);
    expect(row.data.result).toMatchObject({ name: 'app-01', ip_address: '10.0.3.31', discovery_source: 'ServiceNow' });

    const again = (await ire({ items: [newServer()] })).data.result.items[0];
    expect(again).toMatchObject({ operation: 'NO_CHANGE', sysId: inserted.sysId });
    expect(again.identificationAttempts[0].attemptResult).toBe('MATCHED');

    const moved = (await ire({ items: [newServer('10.0.3.99')] })).data.result.items[0];
    expect(moved).toMatchObject({ operation: 'UPDATE', sysId: inserted.sysId });
    expect((await sb.snow.get(`/api/now/table/cmdb_ci/${inserted.sysId}`)).data.result.ip_address).toBe('10.0.3.99');
  });

  it('identifies a seeded CI by name when the payload has no serial number', async () => {
    const res = await ire({
      items: [{ className: 'cmdb_ci_linux_server', values: { name: 'web-01', ip_address: '10.0.1.11' } }],
    });
    expect(
      res.data.result.items[0].identificationAttempts.map((a: { attemptResult: string }) => a.attemptResult),
    ).toEqual(['SKIPPED', 'MATCHED']);
    expect(res.data.result.items[0].operation).toBe('NO_CHANGE');
  });

  it('reports item failures inside a 200 answer with errorCount', async () => {
    const res = await ire({
      items: [
        { className: 'cmdb_ci_linux_server', values: { os: 'Linux' } },
        { className: 'incident', values: { name: 'x' } },
        { className: 'cmdb_ci_linux_server', values: { name: 'x', colour: 'red' } },
      ],
    });
    expect(res.status).toBe(200);
    const errors = res.data.result.items.map((i: { errorCount: number; errors: Array<{ error: string }> }) => [
      i.errorCount,
      i.errors[0]!.error,
    ]);
    expect(errors).toEqual([
      [1, 'MISSING_MATCHING_ATTRIBUTES'],
      [1, 'INVALID_INPUT_DATA'],
      [1, 'INVALID_INPUT_DATA'],
    ]);
  });

  it('refuses a data source that is not a discovery_source choice, and a payload without items', async () => {
    expect((await ire({ items: [] }, '/api/now/identifyreconcile', 'Snowline')).status).toBe(400);
    expect((await ire({ nope: 1 })).status).toBe(400);
  });

  it('the /query dry run reports operations and commits nothing', async () => {
    const res = await ire(
      { items: [newServer()], relations: [{ parent: 0, child: 1, type: 'Runs on::Runs' }] },
      '/api/now/identifyreconcile/query',
    );
    expect(res.data.result.items[0].operation).toBe('INSERT');
    expect((await sb.snow.get('/api/now/table/cmdb_ci?sysparm_query=name=app-01')).data.result).toEqual([]);
  });

  it('inserts a relation once; the second time it is NO_CHANGE', async () => {
    const body = {
      items: [{ className: 'cmdb_ci_service', values: { name: 'Payments' } }, newServer()],
      relations: [{ parent: 0, child: 1, type: 'Depends on::Used by' }],
    };
    expect((await ire(body)).data.result.relations[0]).toMatchObject({
      className: 'cmdb_rel_ci',
      operation: 'INSERT',
      errorCount: 0,
    });
    expect((await ire(body)).data.result.relations[0]).toMatchObject({ operation: 'NO_CHANGE', errorCount: 0 });
    expect(
      (await ire({ ...body, relations: [{ parent: 0, child: 1, type: 'Owns::Owned by' }] })).data.result.relations[0]
        .errorCount,
    ).toBe(1);
  });
});

describe('cmdb connector on the sandbox', () => {
  const context = (sysId: string): ActionContext => ({
    idempotencyKey: 'run-9:cmdb',
    runId: 'run-9',
    stepName: 'cmdb',
    ticket: { table: 'incident', sysId, number: 'INC0010009' },
    logger: silentLogger(),
    signal: new AbortController().signal,
  });
  const runtime = (batchSize = 100) =>
    cmdbConnector.create(cmdbConfigSchema.parse({ batchSize }), {
      logger: silentLogger(),
      servicenow: client,
    } as never);

  const source = (): { items: CiItem[]; relations: CiRelation[] } => ({
    items: [
      {
        className: 'cmdb_ci_service',
        values: { name: 'Payments', environment: 'Production' },
        internal_id: 'payments',
      },
      newServer(),
      {
        className: 'cmdb_ci_linux_server',
        values: { name: 'app-02', ip_address: '10.0.3.32', serial_number: 'VMW-7A1C-0032' },
        internal_id: 'app-02',
      },
    ],
    relations: [
      { parent_id: 'payments', child_id: 'app-01', type: 'Depends on::Used by' },
      { parent_id: 'payments', child_id: 'app-02', type: 'Depends on::Used by' },
    ],
  });

  it('upsert_cis: a dry run shows what would happen; the real run does it, in batches', async () => {
    const spy = jest.spyOn(client, 'identifyReconcile');
    const upsert = runtime(2).actions.upsert_cis!;
    const dry = (await upsert.start({ ...source(), dry_run: true }, context('x'))) as { result: any };
    expect(dry.result.items).toEqual({ inserted: 3, updated: 0, unchanged: 0, errors: 0 });
    expect(dry.result.relations).toEqual({ inserted: 2, updated: 0, unchanged: 0, errors: 0 });
    expect(
      (await sb.snow.get('/api/now/table/cmdb_ci?sysparm_query=nameINapp-01,app-02,Payments')).data.result,
    ).toEqual([]);
    spy.mockClear();

    const real = (await upsert.start(source(), context('x'))) as { result: any };
    expect(real.result.items).toEqual({ inserted: 3, updated: 0, unchanged: 0, errors: 0 });
    expect(real.result.relations).toEqual({ inserted: 2, updated: 0, unchanged: 0, errors: 0 });
    // 3 items in batches of 2, then the 2 relations with their 3 ends in one call.
    expect(spy.mock.calls.map(([payload]) => (payload as { items: unknown[] }).items.length)).toEqual([2, 1, 3]);
    expect(
      (await sb.snow.get('/api/now/table/cmdb_rel_ci?sysparm_query=type.name=Depends on::Used by^parent.name=Payments'))
        .data.result,
    ).toHaveLength(2);
  });

  it('refuses relations naming unknown items before calling the instance', async () => {
    const upsert = runtime().actions.upsert_cis!;
    await expect(
      upsert.start(
        { items: [newServer()], relations: [{ parent_id: 'app-01', child_id: 'ghost', type: 'Runs on::Runs' }] },
        context('x'),
      ),
    ).rejects.toMatchObject({
      code: 'cmdb.invalid_params',
      message: expect.stringContaining('relations[0].child_id: no item has internal_id "ghost"'),
    });
  });

  it('sync: running the same sync twice changes nothing the second time', async () => {
    const first = await syncCis(
      client,
      { name: 'cloud', ...source() },
      { dataSource: 'ServiceNow', batchSize: 100, dryRun: false },
    );
    expect(first).toMatchObject({
      seen: 3,
      sent: 3,
      unchanged: 0,
      items: { inserted: 3, updated: 0, unchanged: 0, errors: 0 },
      relations: { inserted: 2 },
    });
    const before = (
      await sb.snow.get(
        '/api/now/table/cmdb_ci?sysparm_query=nameINapp-01,app-02,Payments&sysparm_fields=sys_id,sys_mod_count',
      )
    ).data.result;

    const second = await syncCis(
      client,
      { name: 'cloud', ...source() },
      { dataSource: 'ServiceNow', batchSize: 100, dryRun: false },
    );
    expect(second).toMatchObject({
      seen: 3,
      sent: 0,
      unchanged: 3,
      items: { inserted: 0, updated: 0, unchanged: 0, errors: 0 },
      relations: { inserted: 0, unchanged: 2 },
      errors: [],
    });
    const after = (
      await sb.snow.get(
        '/api/now/table/cmdb_ci?sysparm_query=nameINapp-01,app-02,Payments&sysparm_fields=sys_id,sys_mod_count',
      )
    ).data.result;
    expect(after).toEqual(before);

    const changedSource = source();
    changedSource.items[2]!.values.ip_address = '10.0.3.42';
    const third = await syncCis(
      client,
      { name: 'cloud', ...changedSource },
      { dataSource: 'ServiceNow', batchSize: 100, dryRun: false },
    );
    expect(third).toMatchObject({ sent: 1, unchanged: 2, items: { updated: 1 } });
  });

  it('register_server: registers a server from Ansible facts and links it to the ticket', async () => {
    const incident = (
      await sb.snow.post('/api/now/table/incident', { short_description: 'provision app-07', caller_id: 'admin' })
    ).data.result;
    const facts = {
      ansible_hostname: 'app-07',
      ansible_fqdn: 'app-07.example.com',
      ansible_default_ipv4: { address: '10.0.3.47', macaddress: '00:50:56:03:00:47' },
      ansible_product_serial: 'NA',
      ansible_distribution: 'RedHat',
      ansible_distribution_version: '9.4',
      ansible_processor_vcpus: 4,
    };
    expect(ciFromAnsibleFacts(facts).values.serial_number).toBeUndefined();
    const progress = (await runtime().actions.register_server!.start(
      { facts, environment: 'Production' },
      context(incident.sys_id),
    )) as { result: any };
    expect(progress.result).toMatchObject({ operation: 'INSERT', linked: true });
    const ticket = (
      await sb.snow.get(
        `/api/now/table/incident/${incident.sys_id}?sysparm_fields=cmdb_ci&sysparm_exclude_reference_link=true`,
      )
    ).data.result;
    expect(ticket.cmdb_ci).toBe(progress.result.sys_id);
    const ci = (await sb.snow.get(`/api/now/table/cmdb_ci_linux_server/${progress.result.sys_id}`)).data.result;
    expect(ci).toMatchObject({
      name: 'app-07',
      fqdn: 'app-07.example.com',
      ip_address: '10.0.3.47',
      os: 'RedHat',
      cpu_count: '4',
      environment: 'Production',
    });

    const again = (await runtime().actions.register_server!.start(
      { facts, environment: 'Production' },
      context(incident.sys_id),
    )) as { result: any };
    expect(again.result).toMatchObject({ operation: 'NO_CHANGE', sys_id: progress.result.sys_id });
  });
});
