import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import type { RunningApp } from '../../src/app/app';
import { startServing } from '../../src/cli/start-serving';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { issueToken } from '../../src/security/jwt';
import { eventually, freePort } from '../helpers/waiting';

/**
 * The README's walk-through, on the real app: the built-in sandbox posts the new incident to
 * Snowline, the shipped incident rule launches the AWX job, and the ticket ends resolved with one
 * work note. Everything real except the instance and controller, which the sandbox plays.
 */

describe('the incident demo on the built-in sandbox', () => {
  let app: RunningApp;
  let dir: string;
  const jwtSecret = 'e2e-jwt-secret-0123456789abcdef';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'snowline-e2e-'));
    const [port, sandboxPort] = [await freePort(), await freePort()];
    const config = loadConfig({
      env: {
        PORT: String(port),
        SNOWLINE_SANDBOX_PORT: String(sandboxPort),
        SNOWLINE_DB: join(dir, 'snowline.db'),
        SNOWLINE_SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/servicenow`,
        SNOWLINE_JWT_SECRET: jwtSecret,
        SNOWLINE_SANDBOX_JOB_MS: '300',
        LOG_LEVEL: 'error',
      },
    });
    app = await startServing(config, createLogger('error'));
  });

  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves a "service is down" incident once, with a work note naming the rule and the job', async () => {
    const sn = axios.create({ baseURL: app.sandboxUrl, auth: { username: 'admin', password: 'admin' } });
    const created = await sn.post('/api/now/table/incident', { short_description: 'nginx is down on web-01' });
    const { sys_id: sysId, number } = created.data.result as { sys_id: string; number: string };

    const resolved = await eventually(async () => {
      const { data } = await sn.get(`/api/now/table/incident/${sysId}`, {
        params: { sysparm_fields: 'state,close_code' },
      });
      return data.result.state === '6' ? data.result : undefined;
    });
    expect(resolved.close_code).toBe('Solution provided');

    const notes = await sn.get('/api/now/table/sys_journal_field', {
      params: { sysparm_query: `element_id=${sysId}^element=work_notes` },
    });
    const values = (notes.data.result as Array<{ value: string }>).map((n) => n.value);
    expect(values).toHaveLength(1);
    expect(values[0]).toMatch(/restart-service-when-down/);
    expect(values[0]).toMatch(/succeeded/);

    const jobs = await sn.get('/api/v2/jobs/');
    expect(jobs.data.count).toBe(1);
    expect(JSON.parse(jobs.data.results[0].extra_vars)).toMatchObject({ service_name: 'nginx', target_host: 'web-01' });
    expect(values[0]).toContain(String(jobs.data.results[0].id));

    // The rule's success write-back attaches the controller job's output, once, through the outbox.
    const attachments = await eventually(async () => {
      const { data } = await sn.get('/api/now/attachment', { params: { sysparm_query: `table_sys_id=${sysId}` } });
      return data.result.length > 0 ? (data.result as Array<{ file_name: string; sys_id: string }>) : undefined;
    });
    expect(attachments.map((a) => a.file_name)).toEqual(['restart-service.log']);
    const file = await sn.get(`/api/now/attachment/${attachments[0]!.sys_id}/file`, { responseType: 'text' });
    const stdout = await sn.get(`/api/v2/jobs/${jobs.data.results[0].id}/stdout/`, {
      params: { format: 'txt' },
      responseType: 'text',
    });
    expect(file.data).toBe(stdout.data);

    const token = issueToken(
      { secret: jwtSecret, issuer: 'snowline', audience: 'snowline-api' },
      'e2e',
      ['viewer'],
      300,
    );
    const runs = await axios.get(`${app.url}/api/v1/runs`, {
      params: { ticket: number },
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(runs.data).toEqual([
      expect.objectContaining({ rule: 'restart-service-when-down', ticket: number, state: 'succeeded' }),
    ]);
  });
});
