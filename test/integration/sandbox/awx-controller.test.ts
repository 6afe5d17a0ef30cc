import axios from 'axios';
import { eventually, startSandbox, type RunningSandbox } from './sandbox-harness';

let s: RunningSandbox;
afterEach(() => s.sandbox.close());

const RESTART_SERVICE = 7;

async function launch(body: Record<string, unknown>, template = RESTART_SERVICE) {
  return s.awx.post(`/api/v2/job_templates/${template}/launch/`, body);
}

async function finished(id: number) {
  return eventually(async () => {
    const { data } = await s.awx.get(`/api/v2/jobs/${id}/`);
    return ['successful', 'failed', 'error', 'canceled'].includes(data.status) ? data : undefined;
  });
}

describe('AWX auth (awx-behaviour §1.1)', () => {
  beforeEach(async () => {
    s = await startSandbox();
  });

  it('bearer token or the sandbox user by basic auth; otherwise 401 {detail}', async () => {
    expect((await s.awx.get('/api/v2/job_templates/')).status).toBe(200);
    expect((await s.snow.get('/api/v2/job_templates/')).status).toBe(200);
    const anonymous = await axios.get(`${s.url}/api/v2/jobs/`, { validateStatus: () => true });
    expect(anonymous.status).toBe(401);
    expect(anonymous.data).toEqual({
      detail: 'Authentication credentials were not provided. To establish a login session, visit /api/login/.',
    });
    const wrong = await axios.get(`${s.url}/api/v2/jobs/`, {
      headers: { Authorization: 'Bearer nope' },
      validateStatus: () => true,
    });
    expect(wrong.status).toBe(401);
  });
});

describe('AWX job templates and launch (awx-behaviour §1.2)', () => {
  beforeEach(async () => {
    s = await startSandbox({ jobDurationMs: 100 });
  });

  it('the seeded templates, paginated, filterable by name (awx-behaviour §1.3)', async () => {
    const all = await s.awx.get('/api/v2/job_templates/');
    expect(all.data).toMatchObject({ count: 10, next: null, previous: null });
    expect(all.data.results.map((t: { id: number; name: string }) => [t.id, t.name])).toEqual([
      [7, 'Restart service'],
      [8, 'Clean up disk space'],
      [9, 'Patch host'],
      [10, 'Provision server'],
      [11, 'Revoke user access'],
      [12, 'Reboot cloud VM'],
      [13, 'Roll back patches'],
      [14, 'Security scan'],
      [15, 'Deploy application'],
      [16, 'Roll back deployment'],
    ]);
    const byName = await s.awx.get('/api/v2/job_templates/', { params: { name: 'Patch host' } });
    expect(byName.data.results).toHaveLength(1);
    expect(byName.data.results[0]).toMatchObject({
      id: 9,
      type: 'job_template',
      url: '/api/v2/job_templates/9/',
      playbook: 'patch_host.yml',
      organization: 1,
      ask_variables_on_launch: true,
      ask_limit_on_launch: true,
      ask_tags_on_launch: false,
      summary_fields: { organization: { id: 1, name: 'Snowline Sandbox' } },
    });
    const paged = await s.awx.get('/api/v2/job_templates/', { params: { page_size: 4, page: 3 } });
    expect(paged.data).toMatchObject({ count: 10, next: null, previous: '/api/v2/job_templates/?page_size=4&page=2' });
    expect(paged.data.results).toHaveLength(2);
    expect((await s.awx.get('/api/v2/job_templates/', { params: { page_size: 4, page: 4 } })).status).toBe(404);
    expect((await s.awx.get('/api/v2/job_templates/99/')).data).toEqual({ detail: 'Not found.' });
  });

  it('GET launch/ says which prompts are asked', async () => {
    const res = await s.awx.get(`/api/v2/job_templates/${RESTART_SERVICE}/launch/`);
    expect(res.data).toMatchObject({
      can_start_without_user_input: true,
      ask_variables_on_launch: true,
      ask_limit_on_launch: true,
      ask_inventory_on_launch: false,
      passwords_needed_to_start: [],
      variables_needed_to_start: [],
      survey_enabled: false,
      job_template_data: { id: 7, name: 'Restart service' },
    });
  });

  it('POST launch/: 201 + Location, {job, ignored_fields, …job}; prompts not asked are dropped and listed', async () => {
    const res = await launch({
      limit: 'web-01',
      extra_vars: { service_name: 'nginx' },
      job_tags: 'restart',
      inventory: 3,
      unknown_field: 1,
    });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`${s.url}/api/v2/jobs/${res.data.id}/`);
    expect(res.data).toMatchObject({
      job: res.data.id,
      ignored_fields: { job_tags: 'restart', inventory: 3 },
      id: 1,
      type: 'job',
      url: '/api/v2/jobs/1/',
      status: 'pending',
      failed: false,
      limit: 'web-01',
      job_tags: '',
      inventory: 1,
      job_template: RESTART_SERVICE,
      name: 'Restart service',
      playbook: 'restart_service.yml',
      started: null,
      finished: null,
      launch_type: 'manual',
      launched_by: { id: 1, name: 'admin', type: 'user', url: '/api/v2/users/1/' },
    });
    expect(JSON.parse(res.data.extra_vars)).toEqual({ service_name: 'nginx' });
  });

  it("request extra_vars (object or JSON/YAML string) merge over the template's", async () => {
    const fromJson = await launch({ extra_vars: JSON.stringify({ path: '/tmp', extra: 1 }) }, 8);
    expect(JSON.parse(fromJson.data.extra_vars)).toEqual({ path: '/tmp', min_free_percent: 20, extra: 1 });
    const fromYaml = await launch({ extra_vars: '---\nmin_free_percent: 5\n' }, 8);
    expect(JSON.parse(fromYaml.data.extra_vars)).toEqual({ path: '/var/log', min_free_percent: 5 });
  });

  it('null values and unusable extra_vars are 400 with field errors', async () => {
    const nulls = await launch({ limit: null });
    expect(nulls.status).toBe(400);
    expect(nulls.data).toEqual({ limit: ['This field may not be null.'] });
    const list = await launch({ extra_vars: '[1, 2]' });
    expect(list.status).toBe(400);
    expect(list.data).toEqual({ extra_vars: ['Must be a valid JSON or YAML dictionary.'] });
    expect((await s.awx.get('/api/v2/jobs/')).data.count).toBe(0);
  });
});

describe('AWX jobs (awx-behaviour §1.3)', () => {
  it('a job goes pending → running → successful with started, finished, elapsed', async () => {
    s = await startSandbox({ jobDurationMs: 1000 });
    const { data } = await launch({ limit: 'web-01', extra_vars: { service_name: 'nginx' } });
    const seen = new Set<string>([data.status]);
    const job = await eventually(async () => {
      const current = (await s.awx.get(`/api/v2/jobs/${data.id}/`)).data;
      seen.add(current.status);
      return current.status === 'successful' ? current : undefined;
    });
    expect([...seen]).toEqual(['pending', 'running', 'successful']);
    expect(job).toMatchObject({ failed: false, limit: 'web-01', artifacts: {}, canceled_on: null });
    expect(job.started).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(job.finished).toMatch(/Z$/);
    expect(job.elapsed).toBeGreaterThan(0);
    expect(typeof job.extra_vars).toBe('string');
  });

  it('extra var sandbox_fail: true makes the job fail; sandbox_artifacts become its artifacts', async () => {
    s = await startSandbox({ jobDurationMs: 50 });
    const failing = (await launch({ extra_vars: { sandbox_fail: true } })).data;
    const ok = (await launch({ extra_vars: { sandbox_artifacts: { restarted: true } } })).data;
    expect(await finished(failing.id)).toMatchObject({ status: 'failed', failed: true });
    expect(await finished(ok.id)).toMatchObject({ status: 'successful', artifacts: { restarted: true } });
  });

  it('batch poll: ?id__in=…&page_size=…, filters, order_by=-id', async () => {
    s = await startSandbox({ jobDurationMs: 50 });
    for (let i = 0; i < 4; i++) await launch({ limit: `web-0${i}` }, i % 2 === 0 ? 7 : 9);
    const batch = await s.awx.get('/api/v2/jobs/', { params: { id__in: '1,3,4', page_size: 3 } });
    expect(batch.data).toMatchObject({ count: 3, next: null, previous: null });
    expect(batch.data.results.map((j: { id: number }) => j.id)).toEqual([1, 3, 4]);
    const newestFirst = await s.awx.get('/api/v2/jobs/', { params: { job_template: 9, order_by: '-id' } });
    expect(newestFirst.data.results.map((j: { id: number }) => j.id)).toEqual([4, 2]);
    await finished(4);
    const done = await s.awx.get('/api/v2/jobs/', { params: { status: 'successful', page_size: 2 } });
    expect(done.data).toMatchObject({
      count: 4,
      next: '/api/v2/jobs/?status=successful&page_size=2&page=2',
      previous: null,
    });
  });

  it('stdout as txt, json and txt_download names the hosts and the extra vars', async () => {
    s = await startSandbox({ jobDurationMs: 50 });
    const { data } = await launch({ limit: 'web-01,web-02', extra_vars: { service_name: 'nginx' } });
    await finished(data.id);
    const txt = await s.awx.get(`/api/v2/jobs/${data.id}/stdout/`, { params: { format: 'txt' } });
    expect(txt.headers['content-type']).toMatch(/^text\/plain/);
    expect(txt.data).toContain('PLAY [Restart service] ***');
    expect(txt.data).toContain('TASK [Restart nginx] ***');
    expect(txt.data).toContain('changed: [web-02]');
    expect(txt.data).toContain('"service_name": "nginx"');
    expect(txt.data).toMatch(/PLAY RECAP \*+\nweb-01 +: ok=5 +changed=3 +unreachable=0 +failed=0/);
    const json = await s.awx.get(`/api/v2/jobs/${data.id}/stdout/`, { params: { format: 'json' } });
    expect(json.data.content).toBe(txt.data);
    expect(json.data.range).toEqual({
      start: 0,
      end: txt.data.split('\n').length - 1,
      absolute_end: txt.data.split('\n').length - 1,
    });
    const download = await s.awx.get(`/api/v2/jobs/${data.id}/stdout/`, { params: { format: 'txt_download' } });
    expect(download.headers['content-disposition']).toBe('attachment; filename="job_1.txt"');
    expect(download.data).toBe(txt.data);
  });

  it("a failed job's stdout shows the fatal task and failed=1 in the recap", async () => {
    s = await startSandbox({ jobDurationMs: 50 });
    const { data } = await launch({ limit: 'db-01', extra_vars: { sandbox_fail: true, service_name: 'postgresql' } });
    await finished(data.id);
    const txt = (await s.awx.get(`/api/v2/jobs/${data.id}/stdout/`, { params: { format: 'txt' } })).data;
    expect(txt).toContain('fatal: [db-01]: FAILED!');
    expect(txt).toMatch(/db-01 +: ok=4 +changed=2 +unreachable=0 +failed=1/);
  });

  it('cancel: GET says can_cancel; POST 202 cancels an active job; a finished one is 405', async () => {
    s = await startSandbox({ jobDurationMs: 10_000 });
    const { data } = await launch({ limit: 'web-01' });
    // Nothing has run while the job is pending.
    expect((await s.awx.get(`/api/v2/jobs/${data.id}/stdout/`, { params: { format: 'txt' } })).data).toBe('');
    expect((await s.awx.get(`/api/v2/jobs/${data.id}/cancel/`)).data).toEqual({ can_cancel: true });
    const cancel = await s.awx.post(`/api/v2/jobs/${data.id}/cancel/`);
    expect(cancel.status).toBe(202);
    const job = (await s.awx.get(`/api/v2/jobs/${data.id}/`)).data;
    expect(job).toMatchObject({ status: 'canceled', failed: true });
    expect(job.canceled_on).toMatch(/Z$/);
    expect((await s.awx.get(`/api/v2/jobs/${data.id}/cancel/`)).data).toEqual({ can_cancel: false });
    const again = await s.awx.post(`/api/v2/jobs/${data.id}/cancel/`);
    expect(again.status).toBe(405);
    expect((await s.awx.post('/api/v2/jobs/99/cancel/')).status).toBe(404);
  });
});

describe('awx workflow job templates', () => {
  const PATCH_AND_RESTART = 17;

  it('workflow launch: 201 + {workflow_job, ignored_fields}; nodes run one after the other; credentials are not even listed as ignored (awx-behaviour §1.2)', async () => {
    s = await startSandbox({ jobDurationMs: 50 });
    const byName = await s.awx.get('/api/v2/workflow_job_templates/', {
      params: { name: 'Patch and restart', organization__name: 'Snowline Sandbox' },
    });
    expect(byName.data.results.map((t: { id: number; type: string }) => [t.id, t.type])).toEqual([
      [PATCH_AND_RESTART, 'workflow_job_template'],
    ]);
    const prompts = (await s.awx.get(`/api/v2/workflow_job_templates/${PATCH_AND_RESTART}/launch/`)).data;
    expect(prompts).toMatchObject({
      ask_variables_on_launch: true,
      ask_limit_on_launch: true,
      ask_inventory_on_launch: false,
      workflow_job_template_data: { id: PATCH_AND_RESTART },
    });
    expect(prompts).not.toHaveProperty('ask_credential_on_launch');

    const res = await s.awx.post(`/api/v2/workflow_job_templates/${PATCH_AND_RESTART}/launch/`, {
      limit: 'web-01',
      inventory: 3,
      credentials: [5],
      extra_vars: { service_name: 'nginx' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`${s.url}/api/v2/workflow_jobs/${res.data.id}/`);
    expect(res.data).toMatchObject({
      workflow_job: res.data.id,
      ignored_fields: { inventory: 3 },
      type: 'workflow_job',
      status: 'pending',
      limit: 'web-01',
    });

    const done = await eventually(async () => {
      const w = (await s.awx.get(`/api/v2/workflow_jobs/${res.data.id}/`)).data;
      return w.status === 'successful' ? w : undefined;
    });
    expect(done).toMatchObject({ failed: false, workflow_job_template: PATCH_AND_RESTART });
    const nodes = (await s.awx.get(`/api/v2/workflow_jobs/${res.data.id}/workflow_nodes/`)).data.results;
    expect(nodes.map((n: { unified_job_template: number }) => n.unified_job_template)).toEqual([9, 7]);
    expect(nodes[0].success_nodes).toEqual([nodes[1].id]);
    const jobs = (
      await s.awx.get('/api/v2/jobs/', { params: { id__in: nodes.map((n: { job: number }) => n.job).join(',') } })
    ).data.results;
    // Workflow extra vars reach every node; the limit too, as both node templates prompt for it.
    expect(
      jobs.map((j: { launch_type: string; limit: string; status: string }) => [j.launch_type, j.limit, j.status]),
    ).toEqual([
      ['workflow', 'web-01', 'successful'],
      ['workflow', 'web-01', 'successful'],
    ]);
    expect(JSON.parse(jobs[1].extra_vars)).toMatchObject({ service_name: 'nginx' });
    // Jobs and workflow jobs share one id sequence.
    expect(jobs.map((j: { id: number }) => j.id)).toEqual([res.data.id + 1, res.data.id + 2]);
  });

  it('a failed node fails the workflow and the nodes after it do not run; cancel stops the running node', async () => {
    s = await startSandbox({ jobDurationMs: 50 });
    const failing = (
      await s.awx.post(`/api/v2/workflow_job_templates/${PATCH_AND_RESTART}/launch/`, {
        extra_vars: { sandbox_fail: true },
      })
    ).data;
    const failed = await eventually(async () => {
      const w = (await s.awx.get(`/api/v2/workflow_jobs/${failing.id}/`)).data;
      return w.status === 'failed' ? w : undefined;
    });
    expect(failed.failed).toBe(true);
    const nodes = (await s.awx.get(`/api/v2/workflow_jobs/${failing.id}/workflow_nodes/`)).data.results;
    expect(nodes.map((n: { job: number | null; do_not_run: boolean }) => [n.job !== null, n.do_not_run])).toEqual([
      [true, false],
      [false, true],
    ]);
    await s.sandbox.close();

    s = await startSandbox({ jobDurationMs: 3000 });
    const running = (await s.awx.post(`/api/v2/workflow_job_templates/${PATCH_AND_RESTART}/launch/`, {})).data;
    await eventually(async () =>
      (await s.awx.get(`/api/v2/workflow_jobs/${running.id}/`)).data.status === 'running' ? true : undefined,
    );
    expect((await s.awx.post(`/api/v2/workflow_jobs/${running.id}/cancel/`)).status).toBe(202);
    expect((await s.awx.get(`/api/v2/workflow_jobs/${running.id}/`)).data.status).toBe('canceled');
    const [node] = (await s.awx.get(`/api/v2/workflow_jobs/${running.id}/workflow_nodes/`)).data.results;
    expect((await s.awx.get(`/api/v2/jobs/${node.job}/`)).data.status).toBe('canceled');
    expect((await s.awx.post(`/api/v2/workflow_jobs/${running.id}/cancel/`)).status).toBe(405);
  });
});

describe('awx labels and the AAP 2.5+ gateway path', () => {
  beforeEach(async () => {
    s = await startSandbox({ jobDurationMs: 50 });
  });

  it('labels: created once per organization; a launch carries them; jobs are found by labels__name', async () => {
    const created = await s.awx.post('/api/v2/labels/', { name: 'snowline:run-1:restart', organization: 1 });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ id: 1, type: 'label', name: 'snowline:run-1:restart', organization: 1 });
    const twice = await s.awx.post('/api/v2/labels/', { name: 'snowline:run-1:restart', organization: 1 });
    expect(twice.status).toBe(400);
    expect(twice.data).toEqual({ __all__: ['Label with this Name and Organization already exists.'] });
    expect((await launch({ labels: [99] })).data).toEqual({ labels: ['Invalid pk "99" - object does not exist.'] });

    const job = (await launch({ labels: [created.data.id] })).data;
    expect(job.summary_fields.labels).toEqual({ count: 1, results: [{ id: 1, name: 'snowline:run-1:restart' }] });
    await launch({});
    const found = await s.awx.get('/api/v2/jobs/', { params: { labels__name: 'snowline:run-1:restart' } });
    expect(found.data.results.map((j: { id: number }) => j.id)).toEqual([job.id]);
    // Revoke user access does not prompt for labels: they are dropped and listed.
    expect((await launch({ labels: [created.data.id] }, 11)).data.ignored_fields).toEqual({
      labels: [created.data.id],
    });
  });

  it('the same controller answers under /api/controller/v2/, its links naming that root (awx-behaviour §1.1)', async () => {
    const list = await s.awx.get('/api/controller/v2/job_templates/', { params: { page_size: 4 } });
    expect(list.data).toMatchObject({ count: 10, next: '/api/controller/v2/job_templates/?page_size=4&page=2' });
    expect(list.data.results[0].url).toBe('/api/controller/v2/job_templates/7/');
    const res = await s.awx.post('/api/controller/v2/job_templates/7/launch/', { limit: 'web-01' });
    expect(res.headers.location).toBe(`${s.url}/api/controller/v2/jobs/${res.data.id}/`);
    expect(res.data.related.stdout).toBe(`/api/controller/v2/jobs/${res.data.id}/stdout/`);
    // One controller behind both roots.
    expect((await s.awx.get(`/api/v2/jobs/${res.data.id}/`)).data.url).toBe(`/api/v2/jobs/${res.data.id}/`);
    expect((await axios.get(`${s.url}/api/controller/v2/jobs/`, { validateStatus: () => true })).status).toBe(401);
  });
});
