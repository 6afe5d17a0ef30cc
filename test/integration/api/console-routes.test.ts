import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { API_BASE } from '../../../src/api/http-app';
import { issueToken } from '../../../src/security/jwt';
import { apiHarness, jwtOptions, tokenFor } from './api-harness';

/** What the console and the API docs need from the server: the session, the timeline, the pages and their policy. */
describe('console and API docs routes', () => {
  let h: Awaited<ReturnType<typeof apiHarness>>;
  let assets: string;
  const viewer = `Bearer ${tokenFor('vera', ['viewer'])}`;

  beforeAll(async () => {
    assets = mkdtempSync(join(tmpdir(), 'console-assets-'));
    writeFileSync(join(assets, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(assets, 'app.js'), 'console.log(1)');
    h = await apiHarness({
      console: { assetsDir: assets, sandboxToken: (role) => issueToken(jwtOptions, `sandbox-${role}`, [role], 60) },
    });
  });
  afterAll(async () => {
    await h.close();
    rmSync(assets, { recursive: true, force: true });
  });

  it('tells the caller who they are and what their roles allow', async () => {
    const res = await request(h.app).get(`${API_BASE}/session`).set('Authorization', viewer);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ subject: 'vera', roles: ['viewer'], permissions: ['runs:read', 'rules:read'] });
    expect((await request(h.app).get(`${API_BASE}/session`)).status).toBe(401);
  });

  it('refuses a run filter it cannot apply, naming the field', async () => {
    const res = await request(h.app).get(`${API_BASE}/runs?state=done&since=yesterday`).set('Authorization', viewer);
    expect(res.status).toBe(400);
    const paths = (res.body.error.details as Array<{ path: string }>).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['state', 'since']));
  });

  it('shows a run timeline: step durations and output, the work note without its marker, decisions', async () => {
    const t = h.store;
    await t.store.db.transaction().execute(async (trx) => {
      await t.repos.runs.create(
        trx,
        {
          id: 'run-1',
          rule_id: 'restart-service-when-down',
          rule_version: 'v7',
          table_name: 'incident',
          sys_id: 'a'.repeat(32),
          ticket_number: 'INC0010042',
          event_key: 'incident:a:0',
          state: 'succeeded',
          context: '{}',
          correlation_id: 'c',
          created_at: 1000,
          updated_at: 5000,
          finished_at: 5000,
          concurrency_key: null,
        },
        [
          {
            id: 's-1',
            run_id: 'run-1',
            idx: 0,
            name: 'restart',
            connector: 'ansible',
            action: 'launch_job_template',
            params: '{}',
            state: 'succeeded',
            attempt: 2,
            idempotency_key: 'run-1:restart',
            external_ref: '17',
            result: JSON.stringify({ job_id: 17, stdout_tail: 'PLAY RECAP ok=1' }),
            error: null,
            next_at: 0,
            lease_owner: null,
            lease_until: null,
            started_at: 1500,
            finished_at: 4000,
            gates: '[]',
            waiting_for: null,
            stage: 0,
            flow: '{}',
          },
        ],
      );
      await t.repos.outbox.enqueue(trx, {
        id: 'o-1',
        run_id: 'run-1',
        table_name: 'incident',
        sys_id: 'a'.repeat(32),
        ticket_number: 'INC0010042',
        fields: JSON.stringify({ state: '6', work_notes: 'restarted nginx\n[snowline:run-1:success]' }),
        marker: 'snowline:run-1:success',
        state: 'sent',
        attempts: 1,
        next_at: 0,
        lease_owner: null,
        lease_until: null,
        last_error: null,
        result_mod_count: 3,
        created_at: 4100,
        sent_at: 4200,
      });
      await t.repos.audit.append(
        trx,
        { kind: 'run.retried', actor: 'olga', subject: 'INC0010042', detail: { runId: 'run-1' } },
        3000,
      );
      await t.repos.audit.append(
        trx,
        { kind: 'run.retried', actor: 'olga', subject: 'INC0010042', detail: { runId: 'another-run' } },
        3100,
      );
    });
    const res = await request(h.app).get(`${API_BASE}/runs/run-1/timeline`).set('Authorization', viewer);
    expect(res.status).toBe(200);
    expect(res.body.run).toMatchObject({ rule: 'restart-service-when-down', ruleVersion: 'v7', state: 'succeeded' });
    expect(res.body.steps).toEqual([
      expect.objectContaining({ name: 'restart', attempt: 2, durationMs: 2500, output: 'PLAY RECAP ok=1' }),
    ]);
    expect(res.body.writebacks).toEqual([
      expect.objectContaining({ kind: 'fields', state: 'sent', workNote: 'restarted nginx', fields: { state: '6' } }),
    ]);
    expect(res.body.decisions).toEqual([expect.objectContaining({ kind: 'run.retried', actor: 'olga' })]);
    expect((await request(h.app).get(`${API_BASE}/runs/nope/timeline`).set('Authorization', viewer)).status).toBe(404);
  });

  it('shows a rule by stage, exports it as BPMN, and dry-runs a ticket by number with a clear refusal', async () => {
    const rule = await request(h.app).get(`${API_BASE}/rules/restart-service-when-down`).set('Authorization', viewer);
    expect(rule.body).toMatchObject({ table: 'incident', stages: [['restart']], gates: [] });
    expect(Object.keys(rule.body.writeback)).toEqual(['success', 'failure']);
    const bpmn = await request(h.app)
      .get(`${API_BASE}/rules/restart-service-when-down/bpmn`)
      .set('Authorization', viewer);
    expect(bpmn.body.fileName).toBe('restart-service-when-down.bpmn');
    expect(bpmn.body.xml).toContain('<bpmn:exclusiveGateway id="condition"');
    expect((await request(h.app).get(`${API_BASE}/rules/no-such-rule`).set('Authorization', viewer)).status).toBe(404);
    const byNumber = (number: string) =>
      request(h.app)
        .post(`${API_BASE}/rules/dry-run/ticket`)
        .set('Authorization', viewer)
        .send({ table: 'incident', number });
    expect((await byNumber('INC0010001')).status).toBe(404);
    const bad = await byNumber('INC0010001^active=false');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('number');
  });

  it('serves the console page under a Content-Security-Policy that allows only its own scripts and styles', async () => {
    const res = await request(h.app).get('/console');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<title>console</title>');
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect((await request(h.app).get('/console/app.js')).status).toBe(200);
  });

  it('offers the one-click sandbox sign-in to loopback callers, for known roles only', async () => {
    expect((await request(h.app).get('/console/settings.json')).body.sandbox).toBe(true);
    const signIn = await request(h.app).post('/console/sandbox-sign-in').send({ role: 'operator' });
    expect(signIn.status).toBe(200);
    const session = await request(h.app).get(`${API_BASE}/session`).set('Authorization', `Bearer ${signIn.body.token}`);
    expect(session.body).toMatchObject({ subject: 'sandbox-operator', roles: ['operator'] });
    const bad = await request(h.app).post('/console/sandbox-sign-in').send({ role: 'root' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^role: /);
  });

  it('has no sandbox sign-in when a real instance is configured', async () => {
    const production = await apiHarness({ console: { assetsDir: assets } });
    try {
      expect((await request(production.app).get('/console/settings.json')).body.sandbox).toBe(false);
      expect((await request(production.app).post('/console/sandbox-sign-in').send({ role: 'admin' })).status).toBe(404);
    } finally {
      await production.close();
    }
  });

  it('renders the API docs from the OpenAPI document with the bundled Swagger UI', async () => {
    expect((await request(h.app).get(`${API_BASE}/docs`)).headers.location).toBe(`${API_BASE}/docs/`);
    const page = await request(h.app).get(`${API_BASE}/docs/`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger-ui-bundle.js');
    const init = await request(h.app).get(`${API_BASE}/docs/snowline-docs.js`);
    expect(init.text).toContain(`${API_BASE}/openapi.json`);
    const bundle = await request(h.app).get(`${API_BASE}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
  });
});
