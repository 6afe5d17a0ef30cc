import { createHash } from 'node:crypto';
import { startSandbox, type RunningSandbox } from './sandbox-harness';

/*
 * Attachment API: https://www.servicenow.com/docs/r/api-reference/rest-apis/c_AttachmentAPI.html
 * Every sys_attachment record carries `hash`, the SHA-256 (hex) of the content set by the platform
 * on upload; deleting a record deletes its attachments (sys_attachment is cascaded).
 */
let s: RunningSandbox;
beforeEach(async () => {
  s = await startSandbox();
});
afterEach(() => s.sandbox.close());

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function incident(): Promise<string> {
  return (await s.snow.post('/api/now/table/incident', { short_description: 'x' })).data.result.sys_id;
}

function upload(sysId: string, bytes: Buffer, fileName = 'job.log') {
  return s.snow.post('/api/now/attachment/file', bytes, {
    params: { table_name: 'incident', table_sys_id: sysId, file_name: fileName },
    headers: { 'Content-Type': 'text/plain' },
  });
}

describe('attachment hash', () => {
  it('every Attachment API answer carries the SHA-256 of the content, and the list can be queried by it', async () => {
    const sysId = await incident();
    const content = Buffer.from('PLAY RECAP ok=3 changed=1\n');
    const created = (await upload(sysId, content)).data.result;
    expect(created.hash).toBe(sha256(content));
    expect((await s.snow.get(`/api/now/attachment/${created.sys_id}`)).data.result.hash).toBe(sha256(content));
    const other = (await upload(sysId, Buffer.from('another file'), 'other.log')).data.result;
    expect(other.hash).not.toBe(created.hash);
    const same = await s.snow.get('/api/now/attachment', {
      params: { sysparm_query: `table_sys_id=${sysId}^hash=${sha256(content)}` },
    });
    expect(same.data.result.map((a: { sys_id: string }) => a.sys_id)).toEqual([created.sys_id]);
    const viaTable = await s.snow.get(`/api/now/table/sys_attachment/${created.sys_id}`, {
      params: { sysparm_fields: 'hash' },
    });
    expect(viaTable.data.result).toEqual({ hash: sha256(content) });
  });

  it('deleting a record deletes its attachments and their content', async () => {
    const sysId = await incident();
    const keep = await incident();
    const gone = (await upload(sysId, Buffer.from('gone'))).data.result;
    const kept = (await upload(keep, Buffer.from('kept'))).data.result;
    expect((await s.snow.delete(`/api/now/table/incident/${sysId}`)).status).toBe(204);
    expect((await s.snow.get(`/api/now/attachment/${gone.sys_id}`)).status).toBe(404);
    expect((await s.snow.get(`/api/now/attachment/${gone.sys_id}/file`)).status).toBe(404);
    const docs = await s.snow.get('/api/now/table/sys_attachment_doc', {
      params: { sys_attachment: gone.sys_id },
    });
    expect(docs.data.result).toEqual([]);
    expect((await s.snow.get(`/api/now/attachment/${kept.sys_id}`)).status).toBe(200);
  });
});
