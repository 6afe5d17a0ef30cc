import envelopes from '../../fixtures/sandbox/failure-envelopes.json';
import { GLIDE_DATE_TIME, startSandbox, SYS_ID, type RunningSandbox } from './sandbox-harness';

let s: RunningSandbox;
beforeEach(async () => {
  s = await startSandbox();
});
afterEach(() => s.sandbox.close());

const LOG = Buffer.from('PLAY [Restart service] ****\nok: [web-01]\n'.repeat(20));

async function incident(): Promise<string> {
  return (await s.snow.post('/api/now/table/incident', { short_description: 'x' })).data.result.sys_id;
}

function upload(sysId: string, bytes: Buffer = LOG, fileName = 'job-1.log') {
  return s.snow.post('/api/now/attachment/file', bytes, {
    params: { table_name: 'incident', table_sys_id: sysId, file_name: fileName },
    headers: { 'Content-Type': 'text/plain' },
  });
}

describe('Attachment API (servicenow-behaviour §6.2)', () => {
  it('POST /attachment/file: 201, Location, the metadata with download_link', async () => {
    const sysId = await incident();
    const res = await upload(sysId);
    expect(res.status).toBe(201);
    const { result } = res.data;
    expect(res.headers.location).toBe(`${s.url}/api/now/attachment/${result.sys_id}`);
    expect(result).toMatchObject({
      file_name: 'job-1.log',
      content_type: 'text/plain',
      size_bytes: String(LOG.length),
      compressed: 'true',
      table_name: 'incident',
      table_sys_id: sysId,
      state: 'available',
      sys_mod_count: '0',
      sys_created_by: 'admin',
      created_by_name: 'System Administrator',
      download_link: `${s.url}/api/now/attachment/${result.sys_id}/file`,
    });
    expect(result.sys_id).toMatch(SYS_ID);
    expect(result.sys_created_on).toMatch(GLIDE_DATE_TIME);
    expect(Number(result.size_compressed)).toBeLessThan(LOG.length);
  });

  it('metadata, list by query newest first, download the bytes, delete', async () => {
    const sysId = await incident();
    const first = (await upload(sysId, Buffer.from('one'), 'a.txt')).data.result;
    const second = (await upload(sysId, Buffer.from('two'), 'b.txt')).data.result;
    expect((await s.snow.get(`/api/now/attachment/${first.sys_id}`)).data.result).toEqual(first);
    const list = await s.snow.get('/api/now/attachment', {
      params: { sysparm_query: `table_name=incident^table_sys_id=${sysId}^ORDERBYDESCsys_created_on` },
    });
    expect(list.data.result.map((a: { file_name: string }) => a.file_name)).toEqual(['b.txt', 'a.txt']);
    expect(list.headers['x-total-count']).toBe('2');
    const file = await s.snow.get(`/api/now/attachment/${second.sys_id}/file`, {
      responseType: 'arraybuffer',
      headers: { Accept: '*/*' },
    });
    expect(file.headers['content-type']).toMatch(/^text\/plain/);
    expect(Buffer.from(file.data).toString()).toBe('two');
    expect((await s.snow.delete(`/api/now/attachment/${second.sys_id}`)).status).toBe(204);
    expect((await s.snow.get(`/api/now/attachment/${second.sys_id}`)).data).toEqual(envelopes.notFound);
  });

  it('400 without the mandatory parameters; 404 when the target record does not exist', async () => {
    const missing = await s.snow.post('/api/now/attachment/file', LOG, {
      params: { table_name: 'incident' },
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(missing.status).toBe(400);
    expect(missing.data.status).toBe('failure');
    const noRecord = await upload('0123456789abcdef0123456789abcdef');
    expect(noRecord.status).toBe(404);
    expect(noRecord.data).toEqual(envelopes.notFound);
  });
});
