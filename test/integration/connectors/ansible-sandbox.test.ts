import { silentLogger } from '../../../src/observability/logger';
import type { ActionContext, ActionHandler, ActionProgress } from '../../../connectors/connector';
import { ControllerClient, createAnsibleRuntime } from '../../../connectors/ansible';
import { startSandbox, type RunningSandbox } from '../sandbox/sandbox-harness';

/** The controller client and both launch actions against the sandbox controller, through both API roots. */

function context(idempotencyKey: string): ActionContext {
  return {
    idempotencyKey,
    runId: 'run-7',
    stepName: 'remediate',
    ticket: { table: 'incident', sysId: '9d385017c611228701d22104cc95c371', number: 'INC0000007' },
    logger: silentLogger(),
    signal: new AbortController().signal,
  };
}

/** start, then check until the action is done (or throws). */
async function runToEnd(action: ActionHandler, params: unknown, ctx: ActionContext): Promise<ActionProgress<any>> {
  let progress = await action.start(params, ctx);
  while (progress.status === 'pending') {
    await new Promise((resolve) => setTimeout(resolve, 20));
    progress = await action.check!(progress.ref, params, ctx);
  }
  return progress;
}

let s: RunningSandbox;
let client: ControllerClient;

async function open(apiPath: string, jobDurationMs = 60): Promise<ReturnType<typeof createAnsibleRuntime>> {
  s = await startSandbox({ jobDurationMs });
  client = new ControllerClient({ url: s.url, apiPath, token: 'sandbox', pollIntervalMs: 20 });
  return createAnsibleRuntime(client);
}

afterEach(async () => {
  await client.close();
  await s.sandbox.close();
});

describe.each(['/api/v2/', '/api/controller/v2/'])('controller under %s', (apiPath) => {
  it('launch_job_template runs to the end, tagged with the idempotency label', async () => {
    const runtime = await open(apiPath);
    const params = {
      job_template: 'Restart service',
      organization: 'Snowline Sandbox',
      limit: 'web-01',
      extra_vars: { service_name: 'nginx', sandbox_artifacts: { restarted: true } },
    };
    const done = await runToEnd(runtime.actions.launch_job_template!, params, context('run-7:remediate'));
    expect(done).toMatchObject({
      status: 'done',
      result: {
        status: 'successful',
        artifacts: { restarted: true },
        stdout_tail: expect.stringContaining('PLAY RECAP'),
      },
    });
    const jobId = (done as { result: { job_id: number } }).result.job_id;
    const job = (await s.awx.get(`${apiPath}jobs/${jobId}/`)).data;
    expect(job.summary_fields.labels.results.map((l: { name: string }) => l.name)).toEqual([
      'snowline:run-7:remediate',
    ]);
    expect(job.url).toBe(`${apiPath}jobs/${jobId}/`);
  });

  it('launch_workflow_job_template runs its nodes; the result lists them with their jobs and merged artifacts', async () => {
    const runtime = await open(apiPath);
    const params = {
      workflow_job_template: 'Patch and restart',
      limit: 'web-02',
      extra_vars: { service_name: 'httpd', sandbox_artifacts: { patched: 3 } },
    };
    const done = await runToEnd(runtime.actions.launch_workflow_job_template!, params, context('run-7:workflow'));
    expect(done).toMatchObject({
      status: 'done',
      result: {
        status: 'successful',
        failed: false,
        nodes: [
          { job_template: 'Patch host', status: 'successful', job_id: expect.any(Number) },
          { job_template: 'Restart service', status: 'successful', job_id: expect.any(Number) },
        ],
        artifacts: { patched: 3 },
      },
    });
    const workflowJobId = (done as { result: { workflow_job_id: number } }).result.workflow_job_id;
    const labels = (await s.awx.get(`${apiPath}workflow_jobs/${workflowJobId}/`)).data.summary_fields.labels.results;
    expect(labels.map((l: { name: string }) => l.name)).toEqual(['snowline:run-7:workflow']);
  });
});

describe('workflow job templates', () => {
  it('a failed node fails the step with ansible.job_failed naming the node', async () => {
    const runtime = await open('/api/v2/');
    const params = { workflow_job_template: 'Patch and restart', extra_vars: { sandbox_fail: true } };
    const failure = runToEnd(runtime.actions.launch_workflow_job_template!, params, context('run-7:fails'));
    await expect(failure).rejects.toMatchObject({
      code: 'ansible.job_failed',
      failure: 'permanent',
      details: { status: 'failed', failedNodes: [{ job_template: 'Patch host', status: 'failed' }] },
    });
  });

  it('refuses credentials (no such prompt on a workflow) and an inventory it does not prompt for, before launching', async () => {
    const runtime = await open('/api/v2/');
    const action = runtime.actions.launch_workflow_job_template!;
    await expect(
      action.start({ workflow_job_template: 'Patch and restart', credentials: [3] }, context('k1')),
    ).rejects.toMatchObject({ code: 'ansible.invalid_params' });
    const refused = action.start({ workflow_job_template: 'Patch and restart', inventory: 3 }, context('k2'));
    await expect(refused).rejects.toMatchObject({ code: 'ansible.prompt_disabled' });
    await expect(refused).rejects.toThrow(/enable "ask_inventory_on_launch".*on the workflow job template/);
    await expect(client.launch(17, { credentials: [3] }, { kind: 'workflow_job_template' })).rejects.toMatchObject({
      code: 'ansible.not_a_prompt',
    });
    expect((await s.awx.get('/api/v2/workflow_jobs/')).data.count).toBe(0);
  });

  it('cancel stops the workflow job', async () => {
    const runtime = await open('/api/v2/', 5000);
    const action = runtime.actions.launch_workflow_job_template!;
    const started = await action.start({ workflow_job_template: 'Patch and restart' }, context('run-7:cancel'));
    const ref = (started as { ref: string }).ref;
    await action.cancel!(ref, context('run-7:cancel'));
    expect((await s.awx.get(`/api/v2/workflow_jobs/${ref}/`)).data.status).toBe('canceled');
    await expect(action.check!(ref, {}, context('run-7:cancel'))).rejects.toMatchObject({ code: 'ansible.job_failed' });
  });
});

describe('recover: the launch an earlier attempt made, by idempotency key', () => {
  it('by label for templates that prompt for labels (job and workflow), by extra_vars for one that does not', async () => {
    const runtime = await open('/api/v2/', 5000);
    const cases = [
      { action: runtime.actions.launch_job_template!, params: { job_template: 'Restart service', limit: 'web-01' } },
      {
        action: runtime.actions.launch_workflow_job_template!,
        params: { workflow_job_template: 'Provision and patch' },
      },
      {
        action: runtime.actions.launch_job_template!,
        params: { job_template: 'Revoke user access', extra_vars: { user_name: 'jdoe' } },
      },
    ];
    for (const [i, { action, params }] of cases.entries()) {
      const key = `run-8:step-${i}`;
      const started = (await action.start(params, context(key))) as { ref: string };
      expect(await action.recover!(params, context(key))).toBe(started.ref);
      expect(await action.recover!(params, context(`${key}-other`))).toBeUndefined();
    }
    // The template without a labels prompt got no label; its launch was found by extra_vars.
    const revoke = (await s.awx.get('/api/v2/jobs/', { params: { job_template: 11 } })).data.results[0];
    expect(revoke.summary_fields.labels.count).toBe(0);
    expect(JSON.parse(revoke.extra_vars).snowline.idempotency_key).toBe('run-8:step-2');
  });
});
