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
});
