import envelopes from '../../fixtures/sandbox/failure-envelopes.json';
import { GLIDE_DATE_TIME, startSandbox, SYS_ID, type RunningSandbox } from './sandbox-harness';

let s: RunningSandbox;
afterEach(() => s.sandbox.close());

async function newIncident(body: Record<string, unknown> = { short_description: 'nginx is down on web-01' }) {
  return (await s.snow.post('/api/now/table/incident', body)).data.result as { sys_id: string; work_notes: string };
}

describe('journal fields (servicenow-behaviour §3.6)', () => {
  beforeEach(async () => {
    s = await startSandbox();
  });

  it('a work_notes write appends a sys_journal_field row; the field reads back ""', async () => {
    const created = await newIncident({ short_description: 'x', work_notes: 'Restarted nginx.' });
    expect(created.work_notes).toBe('');
    const rows = await s.snow.get('/api/now/table/sys_journal_field', {
      params: { sysparm_query: `element_id=${created.sys_id}` },
    });
    expect(rows.data.result).toHaveLength(1);
    const [row] = rows.data.result;
    expect(row).toMatchObject({
      element: 'work_notes',
      element_id: created.sys_id,
      name: 'incident',
      value: 'Restarted nginx.',
      sys_created_by: 'admin',
    });
    expect(row.sys_id).toMatch(SYS_ID);
    expect(row.sys_created_on).toMatch(GLIDE_DATE_TIME);
  });

  it('each write appends, never replaces; comments and work notes are separate elements', async () => {
    const { sys_id } = await newIncident();
    const path = `/api/now/table/incident/${sys_id}`;
    const first = await s.snow.patch(path, { work_notes: 'one' });
    expect(first.data.result.sys_mod_count).toBe('1');
    const second = await s.snow.patch(path, { work_notes: 'two', comments: 'We are on it.' });
    expect(second.data.result).toMatchObject({ sys_mod_count: '2', work_notes: '', comments: '' });
    const rows = await s.snow.get('/api/now/table/sys_journal_field', {
      params: { sysparm_query: `element_id=${sys_id}^ORDERBYsys_created_on`, sysparm_fields: 'element,value' },
    });
    expect(rows.data.result).toEqual([
      { element: 'work_notes', value: 'one' },
      { element: 'work_notes', value: 'two' },
      { element: 'comments', value: 'We are on it.' },
    ]);
  });

  it('with display_value=true a journal field shows its entries, newest first [inf]', async () => {
    const { sys_id } = await newIncident({ short_description: 'x', work_notes: 'older' });
    await s.snow.patch(`/api/now/table/incident/${sys_id}`, { work_notes: 'newer' });
    const res = await s.snow.get(`/api/now/table/incident/${sys_id}`, {
      params: { sysparm_fields: 'work_notes,comments', sysparm_display_value: 'true' },
    });
    expect(res.data.result.comments).toBe('');
    expect(res.data.result.work_notes).toMatch(
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} - System Administrator \(Work notes\)\nnewer\n\n\d{4}-.* - System Administrator \(Work notes\)\nolder\n\n$/,
    );
  });

  it('an empty journal write adds no entry and no update', async () => {
    const { sys_id } = await newIncident();
    const res = await s.snow.patch(`/api/now/table/incident/${sys_id}`, { work_notes: '  ' });
    expect(res.data.result.sys_mod_count).toBe('0');
    const rows = await s.snow.get('/api/now/table/sys_journal_field', {
      params: { sysparm_query: `element_id=${sys_id}` },
    });
    expect(rows.data.result).toEqual([]);
  });
});

describe('incident data policy (servicenow-behaviour §3.2)', () => {
  it('Resolved or Closed without close_code and close_notes is 403 Operation Failed, nothing saved', async () => {
    s = await startSandbox();
    const { sys_id } = await newIncident();
    for (const state of ['6', '7']) {
      const res = await s.snow.patch(`/api/now/table/incident/${sys_id}`, { state, work_notes: 'trying to close' });
      expect(res.status).toBe(403);
      expect(res.data).toEqual(envelopes.dataPolicy);
    }
    const only = await s.snow.patch(`/api/now/table/incident/${sys_id}`, {
      state: '6',
      close_code: 'Solution provided',
    });
    expect(only.status).toBe(403);
    expect(only.data.error.detail).toBe('Data Policy Exception: \n\tThe following fields are mandatory: Close notes');
    const current = await s.snow.get(`/api/now/table/incident/${sys_id}`, {
      params: { sysparm_fields: 'state,sys_mod_count' },
    });
    expect(current.data.result).toEqual({ state: '1', sys_mod_count: '0' });
    const journal = await s.snow.get('/api/now/table/sys_journal_field', {
      params: { sysparm_query: `element_id=${sys_id}` },
    });
    expect(journal.data.result).toEqual([]);
    expect(
      (await s.snow.post('/api/now/table/incident', { short_description: 'born resolved', state: '6' })).status,
    ).toBe(403);
  });

  it('state and both fields in one PATCH resolve the incident', async () => {
    s = await startSandbox();
    const { sys_id } = await newIncident();
    const res = await s.snow.patch(`/api/now/table/incident/${sys_id}`, {
      state: '6',
      close_code: 'Solution provided',
      close_notes: 'nginx restarted',
    });
    expect(res.status).toBe(200);
    expect(res.data.result).toMatchObject({
      state: '6',
      close_code: 'Solution provided',
      close_notes: 'nginx restarted',
    });
  });

  it('the data policy can be switched off', async () => {
    s = await startSandbox({ dataPolicy: false });
    const { sys_id } = await newIncident();
    const res = await s.snow.patch(`/api/now/table/incident/${sys_id}`, { state: '7' });
    expect(res.status).toBe(200);
    expect(res.data.result).toMatchObject({ state: '7', active: 'false' });
  });
});
