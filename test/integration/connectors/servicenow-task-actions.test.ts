import type { ActionContext, ConnectorRuntime } from '../../../connectors/connector';
import { createServiceNowRuntime, ServiceNowClient } from '../../../connectors/servicenow';
import { silentLogger } from '../../../src/observability/logger';
import { startSandbox, type RunningSandbox } from '../sandbox/sandbox-harness';

/** create_change_task, create_incident and create_or_link_problem against the sandbox instance. */
let sb: RunningSandbox;
let client: ServiceNowClient;
let runtime: ConnectorRuntime;
beforeEach(async () => {
  sb = await startSandbox();
  client = new ServiceNowClient(
    { url: sb.url, auth: { type: 'basic', username: 'admin', password: 'admin' } },
    { sleep: async () => {} },
  );
  runtime = createServiceNowRuntime(client);
});
afterEach(async () => {
  await client.close();
  await sb.sandbox.close();
});

type Ticket = { sys_id: string; number: string };
const context = (table: string, ticket: Ticket, idempotencyKey: string): ActionContext => ({
  idempotencyKey,
  runId: idempotencyKey.split(':')[0]!,
  stepName: 'step',
  ticket: { table, sysId: ticket.sys_id, number: ticket.number },
  logger: silentLogger(),
  signal: new AbortController().signal,
});

const create = async (table: string, fields: Record<string, string>): Promise<Ticket> =>
  (await sb.snow.post(`/api/now/table/${table}`, fields)).data.result;
const read = async (table: string, sysId: string, fields: string) =>
  (await sb.snow.get(`/api/now/table/${table}/${sysId}?sysparm_fields=${fields}&sysparm_exclude_reference_link=true`))
    .data.result;
const ciOf = async (name: string): Promise<string> =>
  (await sb.snow.get(`/api/now/table/cmdb_ci?sysparm_query=name=${name}&sysparm_fields=sys_id`)).data.result[0].sys_id;

describe('servicenow.create_change_task', () => {
  it("creates a task under the ticket's change; recover finds it by correlation_id instead of creating a second", async () => {
    const change = await create('change_request', { short_description: 'Patch web-01', type: 'normal' });
    const ctx = context('change_request', change, 'run-1:ctask');
    const action = runtime.actions.create_change_task!;
    const params = { short_description: 'Verify the service after patching', change_task_type: 'testing' };
    const done = (await action.start(params, ctx)) as { result: { sys_id: string; number: string } };
    expect(done).toMatchObject({
      status: 'done',
      result: { table: 'change_task', number: expect.stringMatching(/^CTASK\d+$/), recovered: false },
    });
    expect(
      await read('change_task', done.result.sys_id, 'change_request,change_task_type,correlation_id,short_description'),
    ).toEqual({
      change_request: change.sys_id,
      change_task_type: 'testing',
      correlation_id: 'snowline:run-1:ctask',
      short_description: 'Verify the service after patching',
    });

    const ref = await action.recover!(params, ctx);
    expect(ref).toBe(done.result.sys_id);
    expect(await action.check!(ref!, params, ctx)).toEqual({
      status: 'done',
      result: { table: 'change_task', sys_id: done.result.sys_id, number: done.result.number, recovered: true },
    });
    expect(await action.recover!(params, context('change_request', change, 'run-2:ctask'))).toBeUndefined();
  });

  it('needs change_request when the ticket is not a change', async () => {
    const incident = await create('incident', { short_description: 'disk full', caller_id: 'admin' });
    await expect(
      runtime.actions.create_change_task!.start({ short_description: 'x' }, context('incident', incident, 'k')),
    ).rejects.toMatchObject({ code: 'servicenow.invalid_params' });
    await expect(
      runtime.actions.create_change_task!.start(
        { short_description: 'x', change_task_type: 'deploy' },
        context('incident', incident, 'k'),
      ),
    ).rejects.toMatchObject({
      code: 'servicenow.invalid_params',
    });
  });
});

describe('servicenow.create_incident', () => {
  it("opens an incident caused by the ticket's change", async () => {
    const change = await create('change_request', { short_description: 'Patch db-01', type: 'normal' });
    const ci = await ciOf('db-01');
    const done = (await runtime.actions.create_incident!.start(
      { short_description: 'Patching db-01 failed', cmdb_ci: ci, urgency: '2' },
      context('change_request', change, 'run-3:inc'),
    )) as {
      result: { sys_id: string; number: string };
    };
    expect(done.result.number).toMatch(/^INC\d+$/);
    expect(await read('incident', done.result.sys_id, 'caused_by,cmdb_ci,urgency,correlation_id')).toEqual({
      caused_by: change.sys_id,
      cmdb_ci: ci,
      urgency: '2',
      correlation_id: 'snowline:run-3:inc',
    });
  });
});

describe('servicenow.create_or_link_problem', () => {
  it('creates a problem for the first failing incident on a CI, then links the next incidents on that CI to it', async () => {
    const ci = await ciOf('web-02');
    const first = await create('incident', {
      short_description: 'web-02 restart failed',
      caller_id: 'admin',
      cmdb_ci: ci,
    });
    const second = await create('incident', {
      short_description: 'web-02 restart failed again',
      caller_id: 'admin',
      cmdb_ci: ci,
    });
    const action = runtime.actions.create_or_link_problem!;
    const params = { short_description: 'Automation keeps failing on web-02', priority: '3' };

    const created = (await action.start(params, context('incident', first, 'run-4:problem'))) as {
      result: { problem: { sys_id: string; number: string } };
    };
    expect(created).toMatchObject({
      status: 'done',
      result: { created: true, linked: true, problem: { number: expect.stringMatching(/^PRB\d+$/) } },
    });
    const problem = created.result.problem;
    expect(await read('problem', problem.sys_id, 'cmdb_ci,first_reported_by_task,active')).toEqual({
      cmdb_ci: ci,
      first_reported_by_task: first.sys_id,
      active: 'true',
    });

    expect(await action.start(params, context('incident', second, 'run-5:problem'))).toMatchObject({
      result: { created: false, linked: true, problem },
    });
    expect((await read('incident', first.sys_id, 'problem_id')).problem_id).toBe(problem.sys_id);
    expect((await read('incident', second.sys_id, 'problem_id')).problem_id).toBe(problem.sys_id);
    expect(
      (await sb.snow.get(`/api/now/table/problem?sysparm_query=cmdb_ci=${ci}&sysparm_fields=sys_id`)).data.result,
    ).toHaveLength(1);

    // After an ambiguous first attempt: found by correlation_id, linked again, not created twice.
    const ref = await action.recover!(params, context('incident', first, 'run-4:problem'));
    expect(await action.check!(ref!, params, context('incident', first, 'run-4:problem'))).toMatchObject({
      result: { problem, created: true, linked: true, recovered: true },
    });
  });

  it('a closed problem on the CI is not reused', async () => {
    const ci = await ciOf('web-01');
    const incident = await create('incident', { short_description: 'web-01 down', caller_id: 'admin', cmdb_ci: ci });
    await create('problem', { short_description: 'old', cmdb_ci: ci, state: '107' });
    const done = await runtime.actions.create_or_link_problem!.start(
      { short_description: 'web-01 keeps failing' },
      context('incident', incident, 'run-6:problem'),
    );
    expect(done).toMatchObject({ result: { created: true, linked: true } });
  });
});
