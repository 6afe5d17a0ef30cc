import { ServiceNowClient } from '../../../connectors/servicenow';
import { eventually, startSandbox, SYS_ID, type RunningSandbox } from './sandbox-harness';

/** https://www.servicenow.com/docs/r/api-reference/rest-apis/c_ImportSetAPI.html: the Import Set API of the sandbox, on the wire and with Snowline's client. */
let s: RunningSandbox;
beforeAll(async () => {
  s = await startSandbox();
});
afterAll(() => s.sandbox.close());

describe('Import Set API (servicenow-behaviour §6.3)', () => {
  it('POST one row: 201, synchronous transform, the documented answer; the target record exists', async () => {
    const res = await s.snow.post('/api/now/import/imp_user', {
      u_user_name: 'john.public',
      u_name: 'John Public',
      u_email: 'john@example.com',
    });
    expect(res.status).toBe(201);
    expect(res.data).toEqual({
      import_set: expect.stringMatching(/^ISET\d{7}$/),
      staging_table: 'imp_user',
      result: [
        {
          transform_map: 'User',
          table: 'sys_user',
          display_name: 'name',
          display_value: 'John Public',
          record_link: `${s.url}/api/now/table/sys_user/${res.data.result[0].sys_id}`,
          status: 'inserted',
          sys_id: expect.stringMatching(SYS_ID),
        },
      ],
    });
    const user = await s.snow.get(
      `/api/now/table/sys_user/${res.data.result[0].sys_id}?sysparm_fields=user_name,email`,
    );
    expect(user.data.result).toEqual({ user_name: 'john.public', email: 'john@example.com' });
    const staged = await s.snow.get(new URL(res.headers.location).pathname);
    expect(staged.status).toBe(200);
    expect(staged.data.result[0].status).toBe('inserted');
  });

  it('coalesces on the map key: the same user again is updated, then ignored when nothing changes', async () => {
    const first = await s.snow.post('/api/now/import/imp_user', { u_user_name: 'jane.doe', u_name: 'Jane Doe' });
    const changed = await s.snow.post('/api/now/import/imp_user', { u_user_name: 'jane.doe', u_name: 'Jane Q. Doe' });
    const same = await s.snow.post('/api/now/import/imp_user', { u_user_name: 'jane.doe', u_name: 'Jane Q. Doe' });
    expect(changed.data.result[0]).toMatchObject({
      status: 'updated',
      sys_id: first.data.result[0].sys_id,
      display_value: 'Jane Q. Doe',
    });
    expect(same.data.result[0]).toMatchObject({ status: 'ignored', sys_id: first.data.result[0].sys_id });
    expect(changed.data.import_set).not.toBe(first.data.import_set);
  });

  it('a row the target refuses (data policy) is status error with the message, inside a 201', async () => {
    const res = await s.snow.post('/api/now/import/imp_incident', {
      u_short_description: 'imported',
      u_correlation_id: 'ext-1',
      u_state: '6',
    });
    expect(res.status).toBe(201);
    expect(res.data.result[0]).toMatchObject({
      status: 'error',
      table: 'incident',
      error_message: expect.stringContaining('Data Policy Exception'),
    });
  });

  it('insertMultiple: 201 at once, rows transformed afterwards and readable by their sys_id', async () => {
    const res = await s.snow.post('/api/now/import/imp_computer/insertMultiple', {
      records: [{ u_name: 'imported-71' }, { u_name: 'imported-72' }],
    });
    expect(res.status).toBe(201);
    expect(res.data.import_set_id).toMatch(/^ISET\d{7}$/);
    const id = res.data.records[1].sys_id;
    const staged = await eventually(async () => {
      const r = await s.snow.get(`/api/now/import/imp_computer/${id}`);
      return r.status === 200 ? r.data : undefined;
    });
    expect(staged.result[0]).toMatchObject({
      table: 'cmdb_ci_computer',
      status: 'inserted',
      display_value: 'imported-72',
    });
  });

  it('an unknown staging table is 400 Invalid table; a bad records list names the field', async () => {
    const unknown = await s.snow.post('/api/now/import/imp_nothing', { u_x: '1' });
    expect(unknown.status).toBe(400);
    expect(unknown.data).toEqual({ error: { message: 'Invalid table imp_nothing', detail: null }, status: 'failure' });
    const bad = await s.snow.post('/api/now/import/imp_user/insertMultiple', { records: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.data.error.detail).toContain('records');
  });

  it("Snowline's client reads the sandbox's answer", async () => {
    const sn = new ServiceNowClient({ url: s.url, auth: { type: 'basic', username: 'admin', password: 'admin' } });
    try {
      const result = await sn.importRecord('imp_computer', { u_name: 'imported-73', u_serial_number: 'SN-1' });
      expect(result.results[0]).toMatchObject({
        table: 'cmdb_ci_computer',
        status: 'inserted',
        displayValue: 'imported-73',
      });
    } finally {
      await sn.close();
    }
  });
});
