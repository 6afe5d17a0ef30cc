import { silentLogger } from '../../../src/observability/logger';
import type { ActionContext, ActionHandler } from '../../../connectors/connector';
import { ansibleConnector, ControllerClient, createAnsibleRuntime } from '../../../connectors/ansible';
import { createLaunchJobTemplateHandler } from '../../../connectors/ansible/actions/launch-job-template.action';
import { fixture, startStub, textFixture, type Stub } from './stub-server';

const SYS_ID = '9d385017c611228701d22104cc95c371';

function context(idempotencyKey = 'run-1:restart'): ActionContext {
  return {
    idempotencyKey,
    runId: 'run-1',
    stepName: 'restart',
    ticket: { table: 'incident', sysId: SYS_ID, number: 'INC0000003' },
    logger: silentLogger(),
    signal: new AbortController().signal,
  };
}

const params = {
  job_template: 'Restart service',
  limit: 'web01.example.com',
  extra_vars: { service_name: 'nginx', target_host: 'web01.example.com' },
};

let stub: Stub;
let controller: ControllerClient;
let handler: ActionHandler;

beforeEach(async () => {
  stub = await startStub();
  controller = new ControllerClient(
    { url: stub.url, token: 'awx-token-1', pollIntervalMs: 1000 },
    { sleep: async () => {} },
  );
  handler = createAnsibleRuntime(controller).actions.launch_job_template!;
  stub.on('GET', '/api/v2/job_templates/', { body: fixture('awx', 'job-templates-one') });
  stub.on('GET', '/api/v2/job_templates/7/launch/', { body: fixture('awx', 'launch-prompts-open') });
  stub.on('POST', '/api/v2/job_templates/7/launch/', {
    status: 201,
    headers: { Location: '/api/v2/jobs/42/' },
    body: fixture('awx', 'launch-created'),
  });
  stub.on('GET', '/api/v2/jobs/42/stdout/', {
    headers: { 'Content-Type': 'text/plain' },
    body: textFixture('awx', 'job-42-stdout.txt'),
  });
});
afterEach(async () => {
  await controller.close();
  await stub.close();
});

describe('ansible.launch_job_template', () => {
  it('start launches with the idempotency key and ticket in extra_vars and returns a pending ref', async () => {
    const progress = await handler.start(params, context());
    expect(progress).toEqual({ status: 'pending', ref: '42', checkAfterMs: 1000 });
    const post = stub.calls('POST', '/api/v2/job_templates/7/launch/')[0]!;
    const body = post.json as { limit: string; extra_vars: Record<string, any> };
    expect(body.limit).toBe('web01.example.com');
    expect(body.extra_vars.service_name).toBe('nginx');
    expect(body.extra_vars.snowline).toEqual({
      idempotency_key: 'run-1:restart',
      run_id: 'run-1',
      step: 'restart',
      ticket: { table: 'incident', sys_id: SYS_ID, number: 'INC0000003' },
    });
    expect(body.extra_vars.ansible_eda).toMatchObject({
      ruleset: 'snowline',
      rule: 'restart',
      event: {
        table: 'incident',
        sys_id: SYS_ID,
        number: 'INC0000003',
        meta: { source: { name: 'snowline', type: 'servicenow' }, uuid: 'run-1:restart' },
      },
    });
    expect(Object.keys(body).sort()).toEqual(['extra_vars', 'limit']);
  });

  it('check polls until the job ends, then returns the result with artifacts and the output tail', async () => {
    stub.on('GET', '/api/v2/jobs/42/', [
      { body: fixture('awx', 'job-running') },
      { body: fixture('awx', 'job-successful') },
    ]);
    // The fixture's job started long ago: it is looked at again after maxPollIntervalMs (30 s), not every second.
    expect(await handler.check!('42', params, context())).toEqual({
      status: 'pending',
      ref: '42',
      checkAfterMs: 30_000,
    });
    const done = await handler.check!('42', params, context());
    expect(done).toEqual({
      status: 'done',
      result: {
        job_id: 42,
        status: 'successful',
        failed: false,
        elapsed: 18.5,
        artifacts: { restarted: true, service: 'nginx' },
        stdout_tail: expect.stringContaining('PLAY RECAP'),
      },
    });
    expect(
      ansibleConnector.actions.launch_job_template!.result.safeParse((done as { result: unknown }).result).success,
    ).toBe(true);
  });

  it('a running job is looked at every pollIntervalMs at first, then at a tenth of its running time, up to maxPollIntervalMs', async () => {
    const started = Date.parse(fixture<{ started: string }>('awx', 'job-running').started);
    stub.on('GET', '/api/v2/jobs/42/', { body: fixture('awx', 'job-running') });
    const at = (runningMs: number) =>
      createLaunchJobTemplateHandler({
        client: controller,
        pollIntervalMs: 1000,
        maxPollIntervalMs: 30_000,
        recoverLookbackMs: 1000,
        stdoutTailBytes: 100,
        now: () => started + runningMs,
      });
    const checkAfter = async (runningMs: number) =>
      ((await at(runningMs).check!('42', params, context())) as { checkAfterMs: number }).checkAfterMs;
    expect(await checkAfter(5_000)).toBe(1000);
    expect(await checkAfter(120_000)).toBe(12_000);
    expect(await checkAfter(3_600_000)).toBe(30_000);
  });

  it("a template's next job is looked at when its jobs usually end, when that comes before pollIntervalMs", async () => {
    const created = Date.parse(fixture<{ created: string }>('awx', 'job-successful').created);
    const quick = { ...fixture<object>('awx', 'job-successful'), finished: new Date(created + 300).toISOString() };
    const running = { ...fixture<object>('awx', 'job-running'), created: new Date(created).toISOString() };
    stub.on('GET', '/api/v2/jobs/42/', [{ body: running }, { body: quick }]);
    let sinceCreatedMs = 120;
    const handler = createLaunchJobTemplateHandler({
      client: controller,
      pollIntervalMs: 1000,
      maxPollIntervalMs: 30_000,
      recoverLookbackMs: 1000,
      stdoutTailBytes: 100,
      now: () => created + sinceCreatedMs,
    });
    // Nothing known of the template yet: the plain interval.
    expect(await handler.start(params, context())).toMatchObject({ checkAfterMs: 1000 });
    expect(await handler.check!('42', params, context())).toMatchObject({ status: 'pending', checkAfterMs: 1000 });
    expect(await handler.check!('42', params, context())).toMatchObject({ status: 'done' });
    // Its job took 300 ms: the next one is looked at after 300 ms, and a running one when it usually ends.
    expect(await handler.start(params, context())).toMatchObject({ checkAfterMs: 300 });
    stub.on('GET', '/api/v2/jobs/42/', { body: running });
    expect(await handler.check!('42', params, context())).toMatchObject({ checkAfterMs: 180 });
    // Never sooner than a tenth of the interval; past its usual end, the plain interval again.
    sinceCreatedMs = 290;
    expect(await handler.check!('42', params, context())).toMatchObject({ checkAfterMs: 100 });
    sinceCreatedMs = 400;
    expect(await handler.check!('42', params, context())).toMatchObject({ checkAfterMs: 1000 });
  });

  it('jobs checked side by side are read in one id__in request', async () => {
    stub.on('GET', '/api/v2/jobs/', { body: fixture('awx', 'jobs-batch') });
    stub.on('GET', '/api/v2/jobs/44/stdout/', {
      headers: { 'Content-Type': 'text/plain' },
      body: textFixture('awx', 'job-42-stdout.txt'),
    });
    const [running, done] = await Promise.all([
      handler.check!('42', params, context()),
      handler.check!('44', params, context('run-2:restart')),
    ]);
    expect(running).toMatchObject({ status: 'pending', ref: '42' });
    expect(done).toMatchObject({ status: 'done', result: { job_id: 44, status: 'successful' } });
    const lists = stub.calls('GET', '/api/v2/jobs/');
    expect(lists).toHaveLength(1);
    expect(lists[0]!.query).toMatchObject({ id__in: '42,44', page_size: '2' });
    expect(stub.calls('GET', '/api/v2/jobs/42/')).toHaveLength(0);
  });

  it('a job the controller no longer has fails its check as not found; the others of the batch are answered', async () => {
    stub.on('GET', '/api/v2/jobs/', { body: fixture('awx', 'jobs-batch') });
    const [running, gone] = await Promise.allSettled([
      handler.check!('42', params, context()),
      handler.check!('45', params, context('run-3:restart')),
    ]);
    expect(running).toMatchObject({ status: 'fulfilled', value: { status: 'pending' } });
    expect(gone).toMatchObject({ status: 'rejected', reason: { code: 'ansible.not_found', failure: 'permanent' } });
  });

  it.each(['job-failed', 'job-error'])(
    'a job that ended badly (%s) fails the step with a permanent ansible.job_failed',
    async (name) => {
      stub.on('GET', '/api/v2/jobs/42/', { body: fixture('awx', name) });
      const failure = handler.check!('42', params, context());
      await expect(failure).rejects.toMatchObject({
        code: 'ansible.job_failed',
        failure: 'permanent',
        details: { jobId: 42 },
      });
      await expect(failure).rejects.toThrow(/controller job 42 ended (failed|error)/);
      expect(ansibleConnector.classify(await failure.catch((e: unknown) => e))).toBe('permanent');
    },
  );

  it('recover finds the job an earlier attempt launched by the idempotency key in its extra_vars (no label)', async () => {
    const noneLabeled = { count: 0, next: null, previous: null, results: [] };
    stub.on('GET', '/api/v2/jobs/', (req) => ({
      body: req.query.labels__name ? noneLabeled : fixture('awx', 'jobs-by-template'),
    }));
    const recovering = createAnsibleRuntime(controller).actions.launch_job_template!;
    expect(await recovering.recover!(params, context('run-1:restart'))).toBe('42');
    expect(await recovering.recover!(params, context('run-9:restart'))).toBeUndefined();
    const [byLabel, byScan] = stub.calls('GET', '/api/v2/jobs/').map((r) => r.query);
    expect(byLabel).toMatchObject({ labels__name: 'snowline:run-1:restart', job_template: '7' });
    const query = byScan!;
    expect(query).toMatchObject({ job_template: '7', order_by: '-created' });
    // looks back recoverLookbackMs (24 h by default)
    expect(Date.now() - Date.parse(query.created__gte!)).toBeGreaterThanOrEqual(24 * 3600 * 1000 - 60_000);
    expect(stub.calls('POST', '/api/v2/job_templates/7/launch/')).toHaveLength(0);
  });

  it('cancel cancels the job', async () => {
    stub.on('POST', '/api/v2/jobs/42/cancel/', { status: 202, body: '' });
    await handler.cancel!('42', context());
    expect(stub.calls('POST', '/api/v2/jobs/42/cancel/')).toHaveLength(1);
  });

  it('refuses a dangerous limit or bad extra_vars before talking to the controller', async () => {
    for (const bad of [
      { ...params, limit: 'all' },
      { ...params, limit: 'web01,!db01' },
      { ...params, limit: '' },
      { ...params, extra_vars: { snowline: { idempotency_key: 'forged' } } },
      { ...params, extra_vars: { note: 'x'.repeat(9000) } },
    ]) {
      await expect(handler.start(bad, context())).rejects.toMatchObject({
        code: 'ansible.invalid_params',
        failure: 'permanent',
      });
    }
    expect(stub.requests).toHaveLength(0);
  });

  it('refuses a launch the template would run without its limit', async () => {
    stub.on('GET', '/api/v2/job_templates/7/launch/', { body: fixture('awx', 'launch-prompts-no-limit') });
    await expect(handler.start(params, context())).rejects.toMatchObject({
      code: 'ansible.prompt_disabled',
      failure: 'permanent',
    });
    expect(stub.calls('POST', '/api/v2/job_templates/7/launch/')).toHaveLength(0);
  });

  it('the whole cycle through the descriptor: start → check (running) → check (done)', async () => {
    stub.on('GET', '/api/v2/jobs/42/', [
      { body: fixture('awx', 'job-running') },
      { body: fixture('awx', 'job-successful') },
    ]);
    const runtime = ansibleConnector.create(ansibleConnector.config.parse({ url: stub.url, token: 'awx-token-1' }), {
      logger: silentLogger(),
    });
    const action = runtime.actions.launch_job_template!;
    const ctx = context();
    let progress = await action.start(params, ctx);
    const seen: string[] = [progress.status];
    while (progress.status === 'pending') {
      progress = await action.check!(progress.ref, params, ctx);
      seen.push(progress.status);
    }
    expect(seen).toEqual(['pending', 'pending', 'done']);
    expect(progress.result).toMatchObject({ job_id: 42, status: 'successful' });
  });
});
