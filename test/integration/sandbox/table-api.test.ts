import axios from 'axios';
import envelopes from '../../fixtures/sandbox/failure-envelopes.json';
import { GLIDE_DATE_TIME, startSandbox, SYS_ID, type RunningSandbox } from './sandbox-harness';

let s: RunningSandbox;
beforeEach(async () => {
  s = await startSandbox();
});
afterEach(() => s.sandbox.close());

async function createIncident(body: Record<string, unknown> = { short_description: 'nginx is down on web-01' }) {
  const res = await s.snow.post('/api/now/table/incident', body);
  expect(res.status).toBe(201);
  return res.data.result as Record<string, unknown>;
}

describe('Table API endpoints (servicenow-behaviour §1.1)', () => {
  it('POST inserts one record: 201, Location of the new record, {result}', async () => {
    const res = await s.snow.post('/api/now/table/incident', { short_description: 'disk full on db-01' });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const { result } = res.data;
    expect(result.sys_id).toMatch(SYS_ID);
    expect(res.headers.location).toBe(`${s.url}/api/now/table/incident/${result.sys_id}`);
    expect(result).toMatchObject({
      short_description: 'disk full on db-01',
      number: 'INC0010001',
      state: '1',
      sys_mod_count: '0',
      sys_class_name: 'incident',
    });
  });

  it('GET one record: 200 {result:{…}}; 404 with the envelope when missing', async () => {
    const created = await createIncident();
    const res = await s.snow.get(`/api/now/table/incident/${created.sys_id}`);
    expect(res.status).toBe(200);
    expect(res.data.result).toEqual(created);
    const missing = await s.snow.get('/api/now/table/incident/00000000000000000000000000000000');
    expect(missing.status).toBe(404);
    expect(missing.data).toEqual(envelopes.notFound);
  });

  it('GET list: 200 {result:[]} when nothing matches (latest and v2); v1 answers 404', async () => {
    for (const path of ['/api/now/table/incident', '/api/now/v2/table/incident']) {
      const res = await s.snow.get(path, { params: { sysparm_query: 'number=INC9999999' } });
      expect(res.status).toBe(200);
      expect(res.data).toEqual({ result: [] });
    }
    const v1 = await s.snow.get('/api/now/v1/table/incident', { params: { sysparm_query: 'number=INC9999999' } });
    expect(v1.status).toBe(404);
    expect(v1.data).toEqual(envelopes.notFound);
  });

  it('PUT and PATCH are the same partial update: 200 with the whole record', async () => {
    const created = await createIncident({ short_description: 'a', description: 'keep me' });
    const put = await s.snow.put(`/api/now/v1/table/incident/${created.sys_id}`, { short_description: 'b' });
    expect(put.status).toBe(200);
    expect(put.data.result).toMatchObject({ short_description: 'b', description: 'keep me', sys_mod_count: '1' });
    const patch = await s.snow.patch(`/api/now/v2/table/incident/${created.sys_id}`, { short_description: 'c' });
    expect(patch.status).toBe(200);
    expect(patch.data.result).toMatchObject({ short_description: 'c', description: 'keep me', sys_mod_count: '2' });
  });

  it('DELETE: 204 without a body, then 404', async () => {
    const created = await createIncident();
    const res = await s.snow.delete(`/api/now/table/incident/${created.sys_id}`);
    expect(res.status).toBe(204);
    expect(res.data).toBe('');
    expect((await s.snow.delete(`/api/now/table/incident/${created.sys_id}`)).status).toBe(404);
    expect((await s.snow.get(`/api/now/table/incident/${created.sys_id}`)).status).toBe(404);
  });

  it('HEAD is accepted in place of GET, without a body', async () => {
    await createIncident();
    const res = await s.snow.head('/api/now/table/incident');
    expect(res.status).toBe(200);
    expect(res.headers['x-total-count']).toBe('1');
    expect(res.data).toBe('');
  });

  it('X-no-response-body: true suppresses the body of POST and PATCH', async () => {
    const post = await s.snow.post(
      '/api/now/table/incident',
      { short_description: 'quiet' },
      { headers: { 'X-no-response-body': 'true' } },
    );
    expect(post.status).toBe(201);
    expect(post.data).toBe('');
    const sysId = String(post.headers.location).split('/').pop();
    const patch = await s.snow.patch(
      `/api/now/table/incident/${sysId}`,
      { description: 'x' },
      { headers: { 'X-no-response-body': 'true' } },
    );
    expect(patch.status).toBe(200);
    expect(patch.data).toBe('');
  });

  it('X-HTTP-Method-Override turns a POST into the named method', async () => {
    const created = await createIncident();
    const res = await s.snow.post(
      `/api/now/table/incident/${created.sys_id}`,
      { description: 'via override' },
      { headers: { 'X-HTTP-Method-Override': 'PATCH' } },
    );
    expect(res.status).toBe(200);
    expect(res.data.result.description).toBe('via override');
  });

  it('a POST body array inserts only its first element', async () => {
    const res = await s.snow.post('/api/now/table/incident', [
      { short_description: 'first' },
      { short_description: 'second' },
    ]);
    expect(res.status).toBe(201);
    expect(res.data.result.short_description).toBe('first');
    const all = await s.snow.get('/api/now/table/incident', { params: { sysparm_fields: 'short_description' } });
    expect(all.data.result).toEqual([{ short_description: 'first' }]);
  });

  it('unknown body fields are ignored, sys_ fields are not updatable, "" clears a field', async () => {
    const created = await createIncident({
      short_description: 'x',
      description: 'to clear',
      u_nonsense: 'y',
      sys_created_by: 'mallory',
    });
    expect(created).not.toHaveProperty('u_nonsense');
    expect(created.sys_created_by).toBe('admin');
    const res = await s.snow.patch(`/api/now/table/incident/${created.sys_id}`, {
      description: '',
      sys_mod_count: '99',
    });
    expect(res.data.result).toMatchObject({ description: '', sys_mod_count: '1' });
  });

  it('a reference may be given by display value [inf]; a sys_id on insert is kept when free', async () => {
    const sysId = 'abcdefabcdefabcdefabcdefabcdef12';
    const created = await createIncident({ sys_id: sysId, short_description: 'x', assignment_group: 'Linux Ops' });
    expect(created.sys_id).toBe(sysId);
    const groups = await s.snow.get('/api/now/table/sys_user_group', {
      params: { name: 'Linux Ops', sysparm_fields: 'sys_id' },
    });
    expect(created.assignment_group).toEqual({
      link: `${s.url}/api/now/table/sys_user_group/${groups.data.result[0].sys_id}`,
      value: groups.data.result[0].sys_id,
    });
  });

  it("a record of a child table is readable through its parent (task), with the parent's fields", async () => {
    const created = await createIncident();
    const res = await s.snow.get(`/api/now/table/task/${created.sys_id}`, {
      params: { sysparm_fields: 'number,sys_class_name,caller_id' },
    });
    expect(res.status).toBe(200);
    expect(res.data.result).toEqual({ number: 'INC0010001', sys_class_name: 'incident' });
    expect((await s.snow.get(`/api/now/table/change_request/${created.sys_id}`)).status).toBe(404);
  });
});

describe('errors and authentication (servicenow-behaviour §1.5, §5.1)', () => {
  it('400 Invalid table <name>, detail null', async () => {
    const res = await s.snow.get('/api/now/table/incidnt');
    expect(res.status).toBe(400);
    expect(res.data).toEqual(envelopes.invalidTable);
    expect((await s.snow.post('/api/now/table/incidnt', {})).data).toEqual(envelopes.invalidTable);
  });

  it('401 User Not Authenticated without or with wrong credentials', async () => {
    const anonymous = await axios.get(`${s.url}/api/now/table/incident`, { validateStatus: () => true });
    expect(anonymous.status).toBe(401);
    expect(anonymous.data).toEqual(envelopes.unauthenticated);
    expect(anonymous.headers['x-is-logged-in']).toBe('false');
    const wrong = await axios.get(`${s.url}/api/now/table/incident`, {
      auth: { username: 'admin', password: 'nope' },
      validateStatus: () => true,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.data).toEqual(envelopes.unauthenticated);
  });

  it('the sandbox credentials can be changed; the user becomes sys_updated_by', async () => {
    const other = await startSandbox({ user: 'snowline.integration', password: 's3cret' });
    try {
      const client = axios.create({
        baseURL: other.url,
        auth: { username: 'snowline.integration', password: 's3cret' },
        validateStatus: () => true,
      });
      expect((await other.snow.get('/api/now/table/incident')).status).toBe(401);
      const res = await client.post('/api/now/table/incident', { short_description: 'x' });
      expect(res.status).toBe(201);
      expect(res.data.result).toMatchObject({
        sys_created_by: 'snowline.integration',
        sys_updated_by: 'snowline.integration',
      });
      expect(res.data.result.opened_by.value).toMatch(SYS_ID);
    } finally {
      await other.sandbox.close();
    }
  });

  it('malformed JSON is 400 and a non-JSON body 415, both with the envelope', async () => {
    const bad = await s.snow.post('/api/now/table/incident', '{"short_description":', {
      headers: { 'Content-Type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.data).toMatchObject({ error: { message: 'Exception while reading request' }, status: 'failure' });
    const text = await s.snow.post('/api/now/table/incident', 'short_description=x', {
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.data.status).toBe('failure');
  });

  it('406 when Accept excludes JSON; 405 for a method a path does not take', async () => {
    const xml = await s.snow.get('/api/now/table/incident', { headers: { Accept: 'application/xml' } });
    expect(xml.status).toBe(406);
    const deleteAll = await s.snow.delete('/api/now/table/incident');
    expect(deleteAll.status).toBe(405);
    expect(deleteAll.data.status).toBe('failure');
  });

  it('responses carry X-Is-Logged-In and X-Transaction-ID (servicenow-behaviour §1.3)', async () => {
    const res = await s.snow.get('/api/now/table/incident');
    expect(res.headers['x-is-logged-in']).toBe('true');
    expect(res.headers['x-transaction-id']).toMatch(/^[0-9a-f]+$/);
  });

  it('system date-times are raw UTC (servicenow-behaviour §1.4)', async () => {
    const created = await createIncident();
    for (const field of ['sys_created_on', 'sys_updated_on', 'opened_at'])
      expect(created[field]).toMatch(GLIDE_DATE_TIME);
  });
});
