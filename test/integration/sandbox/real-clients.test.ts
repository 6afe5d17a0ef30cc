import { ControllerClient } from '../../../connectors/ansible/client';
import { ServiceNowClient } from '../../../connectors/servicenow/client';
import { rawValue } from '../../../connectors/servicenow/schemas';
import { startSandbox, type RunningSandbox } from './sandbox-harness';

/**
 * The product promise: clients written for real ServiceNow and AWX work against the sandbox
 * unchanged. Snowline's own clients are the first such clients.
 */
let s: RunningSandbox;
let snow: ServiceNowClient;
let awx: ControllerClient;
beforeEach(async () => {
  s = await startSandbox({ jobDurationMs: 100 });
  snow = new ServiceNowClient({ url: s.url, auth: { type: 'basic', username: 'admin', password: 'admin' } });
  awx = new ControllerClient({ url: s.url, token: 'sandbox', pollIntervalMs: 50 });
});
afterEach(async () => {
  await snow.close();
  await awx.close();
  await s.sandbox.close();
});

describe('Snowline clients against the sandbox', () => {
  it('ServiceNowClient: insert, update with a work note, query all pages, read the journal, attach (servicenow-behaviour §1)', async () => {
    const created = await snow.insert('incident', { short_description: 'nginx is down on web-01' });
    const sysId = rawValue(created.sys_id)!;
    await snow.update('incident', sysId, {
      state: '6',
      close_code: 'Solution provided',
      close_notes: 'restarted',
      work_notes: 'Outcome: succeeded.',
    });
    for (let i = 0; i < 4; i++) await snow.insert('incident', { short_description: `filler ${i}` });
    const rows = [];
    for await (const row of snow.queryAll('incident', {
      query: 'active=true',
      orderBy: [{ field: 'number' }],
      fields: ['number', 'state'],
      limit: 2,
    }))
      rows.push(row);
    expect(rows.map((r) => rawValue(r.number))).toEqual([
      'INC0010001',
      'INC0010002',
      'INC0010003',
      'INC0010004',
      'INC0010005',
    ]);
    const notes = await snow.journalEntries(sysId, 'work_notes', { table: 'incident' });
    expect(notes).toEqual([
      expect.objectContaining({
        value: 'Outcome: succeeded.',
        elementId: sysId,
        table: 'incident',
        createdBy: 'admin',
      }),
    ]);
    const attachment = await snow.attach('incident', sysId, 'job.log', 'text/plain', Buffer.from('ok: [web-01]'));
    expect(attachment).toMatchObject({ fileName: 'job.log', sizeBytes: 12, tableSysId: sysId });
    expect(await snow.listAttachments('incident', sysId)).toHaveLength(1);
  });

  it('ControllerClient: find the template, launch, poll in a batch, read stdout, ping (awx-behaviour §1)', async () => {
    await awx.ping();
    const template = await awx.findJobTemplate('Restart service', 'Snowline Sandbox');
    expect(template.id).toBe(7);
    const { jobId } = await awx.launch(template.id, { limit: 'web-01', extra_vars: { service_name: 'nginx' } });
    let jobs = await awx.getJobs([jobId]);
    for (let i = 0; i < 100 && jobs[0]?.status !== 'successful'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      jobs = await awx.getJobs([jobId]);
    }
    expect(jobs[0]).toMatchObject({ id: jobId, status: 'successful', failed: false, limit: 'web-01' });
    const { text } = await awx.jobStdout(jobId);
    expect(text).toContain('TASK [Restart nginx]');
    const again = await awx.findJobsByTemplateSince(template.id, new Date(Date.now() - 60_000).toISOString());
    expect(again.map((j) => j.id)).toEqual([jobId]);
    expect(await awx.findJobsByTemplateSince(template.id, new Date(Date.now() + 60_000).toISOString())).toEqual([]);
    expect(await awx.cancelJob(jobId)).toBe(false);
  });
});
