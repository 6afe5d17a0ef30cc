import { silentLogger } from '../../../src/observability/logger';
import type { ActionContext } from '../../../connectors/connector';
import { createServiceNowRuntime, servicenowConnector, ServiceNowClient } from '../../../connectors/servicenow';
import { fixture, startStub, type Stub } from './stub-server';

const SYS_ID = '9d385017c611228701d22104cc95c371';
const RECORD = `/api/now/table/incident/${SYS_ID}`;
const MARKER = '[snowline-writeback:0b7c3a1e-8d43-4c2e-9f6a-2f1b3f0c9d11]';

const ctx: ActionContext = {
  idempotencyKey: 'run-1:note',
  runId: 'run-1',
  stepName: 'note',
  ticket: { table: 'incident', sysId: SYS_ID, number: 'INC0000003' },
  logger: silentLogger(),
  signal: new AbortController().signal,
};

let stub: Stub;
let client: ServiceNowClient;

beforeEach(async () => {
  stub = await startStub();
  client = new ServiceNowClient(
    { url: stub.url, auth: { type: 'basic', username: 'snowline.integration', password: 's3cret!' } },
    { sleep: async () => {} },
  );
});
afterEach(async () => {
  await client.close();
  await stub.close();
});

describe('servicenow actions against a stub instance', () => {
  it('update_record PATCHes wire strings and returns sys_mod_count', async () => {
    stub.on('PATCH', RECORD, { body: fixture('servicenow', 'table-incident-patch') });
    const { actions } = createServiceNowRuntime(client);
    const progress = await actions.update_record!.start(
      {
        table: 'incident',
        sys_id: SYS_ID,
        fields: { state: 6, close_code: 'Solution provided', close_notes: 'Restarted' },
      },
      ctx,
    );
    expect(progress).toEqual({ status: 'done', result: { sys_mod_count: 5 } });
    expect(stub.requests[0]!.json).toEqual({ state: '6', close_code: 'Solution provided', close_notes: 'Restarted' });
    expect(stub.requests[0]!.query.sysparm_fields).toBe('sys_id,sys_mod_count');
  });

  it('update_record surfaces a data policy refusal as a typed, permanent error', async () => {
    stub.on('PATCH', RECORD, { status: 403, body: fixture('servicenow', 'error-data-policy') });
    const { actions } = createServiceNowRuntime(client);
    const failure = actions.update_record!.start({ table: 'incident', sys_id: SYS_ID, fields: { state: '6' } }, ctx);
    await expect(failure).rejects.toMatchObject({
      code: 'servicenow.data_policy',
      failure: 'permanent',
      details: { mandatoryFields: ['Resolution code', 'Close notes'] },
    });
    expect(servicenowConnector.classify(await failure.catch((e: unknown) => e))).toBe('permanent');
  });

  it('add_work_note: an ambiguous PATCH is not repeated; recover finds the note by its marker, check completes', async () => {
    stub.on('PATCH', RECORD, { hangUp: true });
    stub.on('GET', '/api/now/table/sys_journal_field', { body: fixture('servicenow', 'journal-work-notes') });
    stub.on('GET', RECORD, { body: fixture('servicenow', 'table-incident-get') });
    const action = createServiceNowRuntime(client).actions.add_work_note!;
    const params = {
      table: 'incident',
      sys_id: SYS_ID,
      text: 'Snowline rule restart-service-when-down: restarted nginx on web01 with controller job 42.',
      marker: MARKER,
    };

    const failure = action.start(params, ctx);
    await expect(failure).rejects.toMatchObject({ code: 'servicenow.ambiguous', failure: 'ambiguous' });
    expect(servicenowConnector.classify(await failure.catch((e: unknown) => e))).toBe('ambiguous');
    const patch = stub.calls('PATCH', RECORD);
    expect(patch).toHaveLength(1);
    expect(patch[0]!.json).toEqual({ work_notes: `${params.text}\n\n${MARKER}` });

    const ref = await action.recover!(params, ctx);
    expect(ref).toBe('journal:b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3');
    expect(await action.check!(ref!, params, ctx)).toEqual({
      status: 'done',
      result: { sys_mod_count: 4, journal_entry: 'b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3', recovered: true },
    });
  });

  it('add_work_note: recover returns nothing when the note never arrived', async () => {
    stub.on('GET', '/api/now/table/sys_journal_field', { body: { result: [] } });
    const action = createServiceNowRuntime(client).actions.add_work_note!;
    expect(
      await action.recover!({ table: 'incident', sys_id: SYS_ID, text: 'x', marker: MARKER }, ctx),
    ).toBeUndefined();
  });

  it('attach_file uploads and, after an ambiguous upload, recovers the attachment instead of uploading twice', async () => {
    stub.on('POST', '/api/now/attachment/file', [{ hangUp: true }]);
    stub.on('GET', '/api/now/attachment', { body: fixture('servicenow', 'attachment-list') });
    stub.on('GET', '/api/now/attachment/94fe3b8b1b7f2110a1b2c3d4e5f60718', {
      body: fixture('servicenow', 'attachment-created'),
    });
    const action = createServiceNowRuntime(client).actions.attach_file!;
    const params = {
      table: 'incident',
      sys_id: SYS_ID,
      file_name: 'job-42.log',
      content_type: 'text/plain',
      content: 'x'.repeat(462),
    };
    await expect(action.start(params, ctx)).rejects.toMatchObject({ failure: 'ambiguous' });
    const ref = await action.recover!(params, ctx);
    expect(ref).toBe('attachment:94fe3b8b1b7f2110a1b2c3d4e5f60718');
    expect(stub.calls('GET', '/api/now/attachment')[0]!.query.sysparm_query).toBe(
      `table_name=incident^table_sys_id=${SYS_ID}^file_name=job-42.log^ORDERBYDESCsys_created_on`,
    );
    const done = await action.check!(ref!, params, ctx);
    expect(done).toMatchObject({
      status: 'done',
      result: { sys_id: '94fe3b8b1b7f2110a1b2c3d4e5f60718', size_bytes: 462, recovered: true },
    });
    expect(stub.calls('POST', '/api/now/attachment/file')).toHaveLength(1);
  });

  it('health reads one row of the health table', async () => {
    stub.on('GET', '/api/now/table/incident', { body: fixture('servicenow', 'table-incident-list-page3') });
    const runtime = createServiceNowRuntime(client);
    expect(await runtime.health()).toEqual({ ok: true });
    expect(stub.requests[0]!.query).toMatchObject({ sysparm_limit: '1', sysparm_fields: 'sys_id' });
    stub.on('GET', '/api/now/table/incident', { status: 401, body: fixture('servicenow', 'error-unauthenticated') });
    expect(await runtime.health()).toMatchObject({
      ok: false,
      detail: expect.stringContaining('User Not Authenticated'),
    });
  });
});
