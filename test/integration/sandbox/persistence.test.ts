import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import Database from 'better-sqlite3';
import { createSandbox } from '../../../sandbox/server';
import { eventually, SANDBOX_DEFAULTS, startSandbox } from './sandbox-harness';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'snowline-sandbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the sandbox store: a practice instance survives restarts', () => {
  it('keeps records, journal, numbering and controller jobs', async () => {
    const store = join(dir, 'data', 'sandbox.db');
    const first = await startSandbox({ store, jobDurationMs: 50 });
    const created = (
      await first.snow.post('/api/now/table/incident', { short_description: 'kept', work_notes: 'note' })
    ).data.result;
    const job = (await first.awx.post('/api/v2/job_templates/7/launch/', { limit: 'web-01' })).data;
    await eventually(async () =>
      (await first.awx.get(`/api/v2/jobs/${job.id}/`)).data.status === 'successful' ? true : undefined,
    );
    await first.sandbox.close();

    const second = await startSandbox({ store });
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

  it('a deleted record stays deleted after a restart, and its number is not handed out again', async () => {
    const store = join(dir, 'sandbox.db');
    const first = await startSandbox({ store });
    const gone = (await first.snow.post('/api/now/table/incident', { short_description: 'gone' })).data.result;
    expect((await first.snow.delete(`/api/now/table/incident/${gone.sys_id}`)).status).toBe(204);
    await first.sandbox.close();
    const second = await startSandbox({ store });
    try {
      expect((await second.snow.get(`/api/now/table/incident/${gone.sys_id}`)).status).toBe(404);
      const next = (await second.snow.post('/api/now/table/incident', { short_description: 'new' })).data.result;
      expect(next.number).toBe('INC0010002');
    } finally {
      await second.sandbox.close();
    }
  });

  it('a job still running at shutdown finishes after the restart', async () => {
    const store = join(dir, 'sandbox.db');
    const first = await startSandbox({ store, jobDurationMs: 300 });
    const job = (await first.awx.post('/api/v2/job_templates/7/launch/', {})).data;
    await first.sandbox.close();
    const second = await startSandbox({ store });
    try {
      await eventually(async () =>
        (await second.awx.get(`/api/v2/jobs/${job.id}/`)).data.status === 'successful' ? true : undefined,
      );
    } finally {
      await second.sandbox.close();
    }
  });

  it('POST /sandbox/reset forgets records and jobs, re-seeds the base data, and never reuses a number', async () => {
    const store = join(dir, 'sandbox.db');
    const running = await startSandbox({ store });
    try {
      const before = (await running.snow.post('/api/now/table/incident', { short_description: 'x' })).data.result;
      await running.awx.post('/api/v2/job_templates/7/launch/', {});
      expect((await axios.post(`${running.url}/sandbox/reset`, undefined, { validateStatus: () => true })).status).toBe(
        401,
      );
      expect((await running.snow.post('/sandbox/reset')).status).toBe(204);
      expect((await running.snow.get(`/api/now/table/incident/${before.sys_id}`)).status).toBe(404);
      expect((await running.snow.get('/api/now/table/incident')).data.result).toEqual([]);
      expect(
        (await running.snow.get('/api/now/table/sys_user', { params: { user_name: 'abel.tuter' } })).data.result,
      ).toHaveLength(1);
      expect((await running.awx.get('/api/v2/jobs/')).data.count).toBe(0);
      const after = (await running.snow.post('/api/now/table/incident', { short_description: 'y' })).data.result;
      expect(after.number).toBe('INC0010002');
      expect((await running.awx.post('/api/v2/job_templates/7/launch/', {})).data.id).toBe(2);
    } finally {
      await running.sandbox.close();
    }
    const again = await startSandbox({ store });
    try {
      const numbers = (await again.snow.get('/api/now/table/incident')).data.result.map(
        (r: { number: string }) => r.number,
      );
      expect(numbers).toEqual(['INC0010002']);
    } finally {
      await again.sandbox.close();
    }
  });

  it('without a store the sandbox keeps nothing: each one starts from the seed', async () => {
    const first = await startSandbox();
    await first.snow.post('/api/now/table/incident', { short_description: 'in memory' });
    await first.sandbox.close();
    const second = await startSandbox();
    try {
      expect((await second.snow.get('/api/now/table/incident')).data.result).toEqual([]);
    } finally {
      await second.sandbox.close();
    }
  });

  it('a store of the earlier format (the controller kept as one document) opens with its jobs and labels', async () => {
    const store = join(dir, 'sandbox.db');
    const first = await startSandbox({ store, jobDurationMs: 0 });
    const label = (await first.awx.post('/api/v2/labels/', { name: 'kept-label', organization: 1 })).data;
    const job = (await first.awx.post('/api/v2/job_templates/7/launch/', { limit: 'web-01' })).data;
    await eventually(async () =>
      (await first.awx.get(`/api/v2/jobs/${job.id}/`)).data.status === 'successful' ? true : undefined,
    );
    await first.sandbox.close();
    // Written back as format 1 wrote it: every item inside the one `awx` document.
    const db = new Database(store);
    const counters = JSON.parse(
      (db.prepare("SELECT value FROM meta WHERE key = 'awx'").get() as { value: string }).value,
    );
    const items = db.prepare('SELECT kind, data FROM controller_items').all() as { kind: string; data: string }[];
    const documentOf = (kind: string) => items.filter((i) => i.kind === kind).map((i) => JSON.parse(i.data));
    const document = { ...counters, jobs: documentOf('jobs'), workflowJobs: [], labels: documentOf('labels') };
    db.prepare("UPDATE meta SET value = ? WHERE key = 'awx'").run(JSON.stringify(document));
    db.prepare("UPDATE meta SET value = '1' WHERE key = 'format'").run();
    db.exec('DROP TABLE controller_items');
    db.close();

    const second = await startSandbox({ store });
    try {
      expect((await second.awx.get(`/api/v2/jobs/${job.id}/`)).data.status).toBe('successful');
      expect((await second.awx.get(`/api/v2/labels/${label.id}/`)).data.name).toBe('kept-label');
      // Still taken: a label's name stays unique within its organization across a restart.
      expect((await second.awx.post('/api/v2/labels/', { name: 'kept-label', organization: 1 })).status).toBe(400);
      expect((await second.awx.post('/api/v2/job_templates/7/launch/', {})).data.id).toBe(job.id + 1);
    } finally {
      await second.sandbox.close();
    }
  });

  it('a file that is not a sandbox store stops start-up with a clear error', () => {
    const store = join(dir, 'broken.db');
    writeFileSync(store, '{"not":"a sandbox"}');
    expect(() => createSandbox({ ...SANDBOX_DEFAULTS, store })).toThrow(/sandbox\.store: cannot open .*broken\.db/);
  });
});
