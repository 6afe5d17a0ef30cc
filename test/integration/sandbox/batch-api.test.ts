import { ServiceNowClient } from '../../../connectors/servicenow/client';
import { startSandbox, type RunningSandbox } from './sandbox-harness';

let s: RunningSandbox;
beforeEach(async () => {
  s = await startSandbox();
});
afterEach(() => s.sandbox.close());

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const decode = (body: string) => JSON.parse(Buffer.from(body, 'base64').toString('utf8'));

describe('Batch API (servicenow-behaviour §6.5)', () => {
  it('runs each item with its own status; bodies are Base64 both ways', async () => {
    const { sys_id } = (await s.snow.post('/api/now/table/incident', { short_description: 'x' })).data.result;
    const json = [
      { name: 'Content-Type', value: 'application/json' },
      { name: 'Accept', value: 'application/json' },
    ];
    const res = await s.snow.post('/api/now/v1/batch', {
      batch_request_id: 'b1',
      rest_requests: [
        {
          id: 'note',
          method: 'PATCH',
          url: `/api/now/table/incident/${sys_id}?sysparm_fields=sys_mod_count`,
          headers: json,
          body: base64({ work_notes: 'from a batch' }),
          exclude_response_headers: true,
        },
        {
          id: 'missing',
          method: 'GET',
          url: '/api/now/table/incident/00000000000000000000000000000000',
          headers: json,
          exclude_response_headers: true,
        },
        { id: 'read', method: 'GET', url: `/api/now/table/incident/${sys_id}?sysparm_fields=number`, headers: json },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ batch_request_id: 'b1', unserviced_requests: [] });
    const [note, missing, read] = res.data.serviced_requests;
    expect(note).toMatchObject({ id: 'note', status_code: 200, status_text: 'OK', headers: [] });
    expect(decode(note.body)).toEqual({ result: { sys_mod_count: '1' } });
    expect(missing).toMatchObject({ id: 'missing', status_code: 404 });
    expect(decode(missing.body).error.message).toBe('No Record found');
    expect(decode(read.body)).toEqual({ result: { number: 'INC0010001' } });
    expect(read.headers).toEqual(
      expect.arrayContaining([{ name: 'content-type', value: expect.stringMatching(/^application\/json/) }]),
    );
    expect(typeof read.execution_time).toBe('number');
  });

  it('ServiceNowClient.batch works against it', async () => {
    const client = new ServiceNowClient({ url: s.url, auth: { type: 'basic', username: 'admin', password: 'admin' } });
    try {
      const { sys_id } = (await s.snow.post('/api/now/table/incident', { short_description: 'x' })).data.result;
      const outcome = await client.batch([
        {
          id: 'resolve',
          method: 'PATCH',
          url: `/api/now/table/incident/${sys_id}`,
          body: { state: '6', close_code: 'Solution provided', close_notes: 'done' },
        },
        {
          id: 'refused',
          method: 'PATCH',
          url: `/api/now/table/incident/${sys_id}`,
          body: { state: '7', close_notes: '' },
        },
      ]);
      expect(outcome.unserviced).toEqual([]);
      expect(outcome.results.get('resolve')).toMatchObject({ ok: true, status: 200 });
      expect(outcome.results.get('refused')).toMatchObject({ ok: false, status: 403 });
    } finally {
      await client.close();
    }
  });

  it('a malformed batch is 400 with the envelope', async () => {
    const res = await s.snow.post('/api/now/batch', {
      rest_requests: [{ id: 'x', method: 'GET', url: 'http://elsewhere/' }],
    });
    expect(res.status).toBe(400);
    expect(res.data.status).toBe('failure');
  });

  it('a batch cut by its time quota answers the items it did not run in unserviced_requests, and they did not run', async () => {
    await s.sandbox.close();
    s = await startSandbox({
      batchTimeLimitMs: 50,
      faults: { servicenow: { latencyMs: 100, methods: ['PATCH'], pathIncludes: '/table/incident/' } },
    });
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push((await s.snow.post('/api/now/table/incident', { short_description: `x${i}` })).data.result.sys_id);
    const json = [{ name: 'Content-Type', value: 'application/json' }];
    const res = await s.snow.post('/api/now/v1/batch', {
      batch_request_id: 'cut',
      rest_requests: ids.map((id, i) => ({
        id: `n${i}`,
        method: 'PATCH',
        url: `/api/now/table/incident/${id}`,
        headers: json,
        body: base64({ work_notes: 'note' }),
      })),
    });
    expect(res.data.serviced_requests.map((r: { id: string }) => r.id)).toEqual(['n0']);
    expect(res.data.unserviced_requests).toEqual(['n1', 'n2']);
    const notes = await s.snow.get('/api/now/table/sys_journal_field', {
      params: { sysparm_query: 'element=work_notes' },
    });
    expect(notes.data.result).toHaveLength(1);
  });

  it('a failed item names its error in error_message; the sandbox counts the batch once and its items apart', async () => {
    await s.snow.delete('/sandbox/requests');
    const res = await s.snow.post('/api/now/v1/batch', {
      rest_requests: [
        { id: 'missing', method: 'GET', url: '/api/now/table/incident/00000000000000000000000000000000' },
        { id: 'list', method: 'GET', url: '/api/now/table/incident?sysparm_limit=1' },
      ],
    });
    expect(res.data.serviced_requests[0]).toMatchObject({ status_code: 404, error_message: 'No Record found' });
    expect(res.data.serviced_requests[1].error_message).toBeUndefined();
    const served = await s.snow.get('/sandbox/requests');
    expect(served.data).toEqual({ total: 1, byApi: { batch: 1 }, batchItems: 2 });
  });
});
