import { silentLogger } from '../../../src/observability/logger';
import { createSandbox, type Sandbox } from '../../../sandbox/server';
import type { ActionContext } from '../../../connectors/connector';
import { ControllerClient, createAnsibleRuntime } from '../../../connectors/ansible';
import { asInt, createServiceNowRuntime, ServiceNowClient } from '../../../connectors/servicenow';

/**
 * The connectors against the project's own simulated ServiceNow + AWX (sandbox/): the same
 * calls as the stub tests, but answered by a stateful instance.
 */
let sandbox: Sandbox;
let url: string;
let sn: ServiceNowClient;
let awx: ControllerClient;

beforeAll(async () => {
  sandbox = createSandbox({
    user: 'admin',
    password: 'admin',
    awxToken: 'sandbox',
    webhookSecret: 'x'.repeat(32),
    webhooksEnabled: false,
    jobDurationMs: 30,
    logger: silentLogger(),
  });
  ({ url } = await sandbox.listen(0));
  sn = new ServiceNowClient({ url, auth: { type: 'basic', username: 'admin', password: 'admin' } });
  awx = new ControllerClient({ url, token: 'sandbox', pollIntervalMs: 20 });
});
afterAll(async () => {
  await sn.close();
  await awx.close();
  await sandbox.close();
});

function context(sysId: string, key: string): ActionContext {
  return {
    idempotencyKey: key,
    runId: key.split(':')[0]!,
    stepName: 'step',
    ticket: { table: 'incident', sysId, number: 'INC' },
    logger: silentLogger(),
    signal: new AbortController().signal,
  };
}

describe('ServiceNow connector on the sandbox', () => {
  it('inserts, reads, updates, hits the data policy, writes and finds a work note', async () => {
    const created = await sn.insert(
      'incident',
      { short_description: 'nginx is down on web-01', impact: '2', urgency: '2' },
      { fields: ['sys_id', 'sys_mod_count', 'number'] },
    );
    const sysId = String(created.sys_id);
    expect(asInt(created.sys_mod_count)).toBe(0);

    const { actions } = createServiceNowRuntime(sn);
    const ctx = context(sysId, 'run-s:note');
    const updated = await actions.update_record!.start({ table: 'incident', sys_id: sysId, fields: { state: 2 } }, ctx);
    expect(updated).toEqual({ status: 'done', result: { sys_mod_count: 1 } });

    await expect(
      actions.update_record!.start({ table: 'incident', sys_id: sysId, fields: { state: 6 } }, ctx),
    ).rejects.toMatchObject({ code: 'servicenow.data_policy' });

    const marker = '[snowline-test:8c1f0e2a]';
    expect(
      await actions.add_work_note!.recover!({ table: 'incident', sys_id: sysId, text: 'Restarted nginx', marker }, ctx),
    ).toBeUndefined();
    await actions.add_work_note!.start({ table: 'incident', sys_id: sysId, text: 'Restarted nginx', marker }, ctx);
    const ref = await actions.add_work_note!.recover!(
      { table: 'incident', sys_id: sysId, text: 'Restarted nginx', marker },
      ctx,
    );
    expect(ref).toMatch(/^journal:[0-9a-f]{32}$/);

    const record = await sn.getRecord('incident', sysId, { fields: ['state', 'sys_mod_count', 'work_notes'] });
    expect(record).toMatchObject({ state: '2', work_notes: '' });
  });

  it('pages through a query with X-Total-Count / Link', async () => {
    for (let i = 0; i < 5; i++) await sn.insert('incident', { short_description: `paging test ${i}` });
    const first = await sn.query('incident', { limit: 1 });
    expect(first.total).toBeGreaterThanOrEqual(5);
    expect(first.hasNext).toBe(true);
    const rows = [];
    for await (const row of sn.queryAll('incident', { limit: 2, orderBy: { field: 'sys_created_on' } })) rows.push(row);
    expect(rows).toHaveLength(first.total!);
  });

  it('maps the sandbox errors like a real instance', async () => {
    await expect(sn.getRecord('incident', 'ffffffffffffffffffffffffffffffff')).rejects.toMatchObject({
      code: 'servicenow.not_found',
    });
    await expect(sn.query('no_such_table')).rejects.toMatchObject({ code: 'servicenow.bad_request' });
    const wrong = new ServiceNowClient({ url, auth: { type: 'basic', username: 'admin', password: 'wrong' } });
    await expect(wrong.getRecord('incident', 'ffffffffffffffffffffffffffffffff')).rejects.toMatchObject({
      code: 'servicenow.auth',
    });
    await wrong.close();
  });
});

describe('Ansible connector on the sandbox controller', () => {
  it('launches a job template, polls it to the end, and recovers it by idempotency key', async () => {
    const action = createAnsibleRuntime(awx).actions.launch_job_template!;
    const params = { job_template: 'Restart service', limit: 'web-01', extra_vars: { service_name: 'nginx' } };
    const ctx = context('9d385017c611228701d22104cc95c371', `run-${Date.now()}:restart`);
    let progress = await action.start(params, ctx);
    expect(progress.status).toBe('pending');
    const ref = progress.status === 'pending' ? progress.ref : '';
    for (let i = 0; i < 200 && progress.status === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      progress = await action.check!(ref, params, ctx);
    }
    expect(progress).toMatchObject({
      status: 'done',
      result: { job_id: Number(ref), status: 'successful', failed: false },
    });
    expect(await action.recover!(params, ctx)).toBe(ref);
    expect(await action.recover!(params, { ...ctx, idempotencyKey: 'run-never:restart' })).toBeUndefined();
  });

  it('refuses a pattern limit before the controller sees it', async () => {
    const action = createAnsibleRuntime(awx).actions.launch_job_template!;
    await expect(
      action.start(
        { job_template: 'Restart service', limit: 'all' },
        context('9d385017c611228701d22104cc95c371', 'run-x:restart'),
      ),
    ).rejects.toMatchObject({ code: 'ansible.invalid_params' });
  });
});
