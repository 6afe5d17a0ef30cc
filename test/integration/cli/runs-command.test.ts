import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, repositories } from '../../../src/store';
import type { Run, Step } from '../../../src/store/run.repository';
import { runCli } from '../../helpers/run-cli';

const run = (id: string, state: string, ticket: string, createdAt: number): Run => ({
  id,
  rule_id: 'restart-service-when-down',
  rule_version: 'v3',
  table_name: 'incident',
  sys_id: 'b'.repeat(32),
  ticket_number: ticket,
  event_key: `incident:${id}:0`,
  state,
  context: '{}',
  correlation_id: 'c',
  created_at: createdAt,
  updated_at: createdAt,
  finished_at: state === 'failed' ? createdAt + 1000 : null,
  concurrency_key: null,
});

const step = (runId: string, state: string, error: string | null): Step => ({
  id: `${runId}-s`,
  run_id: runId,
  idx: 0,
  name: 'restart',
  connector: 'ansible',
  action: 'launch_job_template',
  params: '{}',
  state,
  attempt: 1,
  idempotency_key: `${runId}:restart`,
  external_ref: null,
  result: null,
  error,
  next_at: 0,
  lease_owner: null,
  lease_until: null,
  started_at: 1000,
  finished_at: state === 'failed' ? 1800 : null,
  gates: '[]',
  waiting_for: null,
  stage: 0,
  flow: '{}',
});

/** `snowline runs` against a store holding one failed and one running run. */
// Each command is a child process started through tsx: several seconds apiece on a busy machine.
jest.setTimeout(90_000);

describe('snowline runs list | show | retry | cancel', () => {
  let root: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'snowline-runs-cli-'));
    env = { SNOWLINE_DB: join(root, 'snowline.db') };
    const store = await openStore({ sqlitePath: env.SNOWLINE_DB! });
    const repos = repositories(store);
    await store.db.transaction().execute(async (trx) => {
      await repos.runs.create(trx, run('run-failed', 'failed', 'INC0010007', 1000), [
        step('run-failed', 'failed', 'controller refused the launch (400)'),
      ]);
      await repos.runs.create(trx, run('run-going', 'running', 'INC0010008', 2000), [
        step('run-going', 'pending', null),
      ]);
    });
    await store.close();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists runs as a table, newest first, and filters them', async () => {
    const all = await runCli(['runs', 'list'], env);
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TICKET\s+RULE\s+VERSION\s+STATE\s+STEPS\s+CREATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['run-going', 'run-failed']);
    const failed = await runCli(['runs', 'list', '--state', 'failed', '--json'], env);
    expect(JSON.parse(failed.stdout)).toEqual([
      expect.objectContaining({ id: 'run-failed', ticket: 'INC0010007', ruleVersion: 'v3', state: 'failed' }),
    ]);
    const bad = await runCli(['runs', 'list', '--state', 'done'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--state/);
  });

  it('shows one run with its rule version and the failed step with its reason', async () => {
    const shown = await runCli(['runs', 'show', 'run-failed'], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/rule\s+restart-service-when-down @ v3/);
    expect(shown.stdout).toMatch(/restart\s+ansible\.launch_job_template\s+failed\s+1\s+800 ms\s+controller refused/);
    const missing = await runCli(['runs', 'show', 'no-such-run'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-such-run/);
  });

  it('retries a failed run and cancels a running one; refuses what the state does not allow', async () => {
    const cancelFailed = await runCli(['runs', 'cancel', 'run-failed'], env);
    expect(cancelFailed.code).toBe(1);
    expect(cancelFailed.stderr).toMatch(/run-failed/);
    const retried = await runCli(['runs', 'retry', 'run-failed', '--json'], env);
    expect(retried.code).toBe(0);
    // A retried run goes back through admission (concurrency keys, max_runs) before it runs again.
    expect(JSON.parse(retried.stdout)).toMatchObject({ id: 'run-failed', state: 'queued' });
    const cancelled = await runCli(['runs', 'cancel', 'run-going'], env);
    expect(cancelled.stdout).toBe('run run-going is now cancelled\n');
    const journal = await runCli(['runs', 'show', 'run-failed', '--json'], env);
    expect(JSON.parse(journal.stdout).decisions).toEqual([
      expect.objectContaining({ kind: 'run.retried', actor: expect.stringMatching(/^cli:/) }),
    ]);
  }, 120_000);
});
