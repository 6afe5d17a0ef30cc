import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox } from '../../../src/sandbox/server';
import { eventually, SANDBOX_DEFAULTS, startSandbox } from './sandbox-harness';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'snowline-sandbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('persistFile: a practice instance survives restarts', () => {
  it('keeps records, journal, numbering and controller jobs', async () => {
    const persistFile = join(dir, 'state', 'sandbox.json');
    const first = await startSandbox({ persistFile, jobDurationMs: 50 });
    const created = (
      await first.snow.post('/api/now/table/incident', { short_description: 'kept', work_notes: 'note' })
    ).data.result;
    const job = (await first.awx.post('/api/v2/job_templates/7/launch/', { limit: 'web-01' })).data;
    await eventually(async () =>
      (await first.awx.get(`/api/v2/jobs/${job.id}/`)).data.status === 'successful' ? true : undefined,
    );
    await first.sandbox.close();
    expect(JSON.parse(readFileSync(persistFile, 'utf8'))).toMatchObject({ format: 'snowline-sandbox', version: 1 });

    const second = await startSandbox({ persistFile });
    try {
      expect((await second.snow.get(`/api/now/table/incident/${created.sys_id}`)).data.result.short_description).toBe(
        'kept',
      );
      const journal = await second.snow.get('/api/now/table/sys_journal_field', {
        params: { element_id: created.sys_id, sysparm_fields: 'value' },
      });
      expect(journal.data.result).toEqual([{ value: 'note' }]);
      expect(
        (await second.snow.post('/api/now/table/incident', { short_description: 'next' })).data.result.number,
      ).toBe('INC0010002');
      expect((await second.awx.get(`/api/v2/jobs/${job.id}/`)).data.status).toBe('successful');
      expect((await second.awx.post('/api/v2/job_templates/7/launch/', {})).data.id).toBe(2);
    } finally {
      await second.sandbox.close();
    }
  });

  it('a job still running at shutdown finishes after the restart', async () => {
    const persistFile = join(dir, 'sandbox.json');
    const first = await startSandbox({ persistFile, jobDurationMs: 300 });
    const job = (await first.awx.post('/api/v2/job_templates/7/launch/', {})).data;
    await first.sandbox.close();
    const second = await startSandbox({ persistFile });
    try {
      await eventually(async () =>
        (await second.awx.get(`/api/v2/jobs/${job.id}/`)).data.status === 'successful' ? true : undefined,
      );
    } finally {
      await second.sandbox.close();
    }
  });

  it('a damaged state file stops start-up with a clear error', () => {
    const persistFile = join(dir, 'broken.json');
    require('node:fs').writeFileSync(persistFile, '{"not":"a sandbox"}');
    expect(() => createSandbox({ ...SANDBOX_DEFAULTS, persistFile })).toThrow(/not a sandbox state file/);
  });
});
