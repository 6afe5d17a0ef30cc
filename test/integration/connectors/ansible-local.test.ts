import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ActionContext, ActionHandler } from '../../../connectors/connector';
import {
  ansibleLocalConnector,
  localRunnerConfigSchema,
  type LocalRunnerConfigInput,
} from '../../../connectors/ansible/local';
import { runProcess } from '../../../connectors/ansible/local/playbook-process';
import { ConnectorError } from '../../../src/errors';
import { silentLogger } from '../../../src/observability/logger';

/**
 * These tests run the real ansible-playbook (Debian's ansible-core plus the ansible.posix JSON
 * callback) against two inventory hosts that are this machine. They prove that ticket text with
 * Jinja in it reaches a playbook as literal data and is never evaluated.
 */
const FIXTURES = path.join(__dirname, '../../fixtures/ansible/local');
const PLAYBOOK_DIR = path.join(FIXTURES, 'playbooks');
const INVENTORY = path.join(FIXTURES, 'inventory.ini');

jest.setTimeout(120_000);

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'snowline-ansible-test-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

function config(overrides: Partial<LocalRunnerConfigInput> = {}): LocalRunnerConfigInput {
  return {
    playbookDir: PLAYBOOK_DIR,
    inventory: INVENTORY,
    playbooks: {
      echo: {
        file: 'echo.yml',
        vars: {
          message: { type: 'string', maxLength: 300 },
          items_in: { type: 'string_list', maxItems: 6, maxLength: 200 },
        },
      },
      fail_on_web02: { file: 'fail-on-web02.yml' },
      sleep: { file: 'sleep.yml', vars: { pid_file: { type: 'string', pattern: '[A-Za-z0-9_./-]+', maxLength: 200 } } },
    },
    workRoot: scratch,
    ...overrides,
  };
}

function handlerFor(input: LocalRunnerConfigInput = config()): ActionHandler {
  const runtime = ansibleLocalConnector.create(localRunnerConfigSchema.parse(input), { logger: silentLogger() });
  return runtime.actions.run_playbook!;
}

function context(signal: AbortSignal = new AbortController().signal): ActionContext {
  return {
    idempotencyKey: 'run-7:echo',
    runId: 'run-7',
    stepName: 'echo',
    ticket: { table: 'incident', sysId: '9d385017c611228701d22104cc95c371', number: 'INC0010001' },
    logger: silentLogger(),
    signal,
  };
}

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectorError);
  return err as ConnectorError;
}

describe('ansible_local.run_playbook with the real ansible-playbook', () => {
  it('passes injection strings through as literal text; no lookup, filter or statement is evaluated', async () => {
    const canary = path.join(scratch, 'pwned');
    const message = `{{ lookup('pipe','touch ${canary}') }}`;
    const items = [
      "{{ lookup('pipe','id') }}",
      '{% for x in range(3) %}x{% endfor %}',
      '{{ 7*7 }}',
      '$(id) `id` ; rm -rf /',
      'two\nlines {{ 7*7 }}',
    ];
    const progress = await handlerFor().start(
      { playbook: 'echo', limit: 'web01', vars: { message, items_in: items } },
      context(),
    );

    expect(progress.status).toBe('done');
    const result = (progress as { result: any }).result;
    const msgs = (task: string) => result.messages.filter((m: any) => m.task === task).map((m: any) => m.msg);
    expect(msgs('show message')).toEqual([message]);
    expect(msgs('show items')).toEqual([items.join('|')]);
    expect(msgs('show ticket')).toEqual(['INC0010001 run-7:echo']);
    expect(result.stats).toEqual({ echoed: message, ticket: 'INC0010001' });
    expect(existsSync(canary)).toBe(false);
    expect(JSON.stringify(result)).not.toMatch(/uid=\d+/);
    // Only the limited host ran, and the private work directory (with the vars file) is gone.
    expect(Object.keys(result.hosts)).toEqual(['web01']);
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('(control) the same playbook DOES evaluate a pipe lookup given through a plain JSON extra-vars file', async () => {
    // Shows the test above can fail: without !unsafe, Ansible templates extra vars.
    const canary = path.join(scratch, 'pwned-by-json');
    const varsFile = path.join(scratch, 'plain.json');
    writeFileSync(
      varsFile,
      JSON.stringify({
        message: `{{ lookup('pipe','touch ${canary}') }}`,
        snowline: { ticket: { number: 'X' }, idempotency_key: 'k' },
      }),
    );
    const outcome = await runProcess(
      'ansible-playbook',
      ['-i', INVENTORY, '-e', `@${varsFile}`, '--limit', 'web01', path.join(PLAYBOOK_DIR, 'echo.yml')],
      {
        cwd: scratch,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ANSIBLE_LOCAL_TEMP: path.join(scratch, 'tmp') },
        timeoutMs: 60_000,
        killGraceMs: 1000,
        maxStdoutBytes: 1 << 20,
      },
    );
    expect(outcome.exitCode).toBe(0);
    expect(existsSync(canary)).toBe(true);
  });

  it('reports per-host results and fails the step when a host fails, with the recap for the write-back', async () => {
    const err = await failure(handlerFor().start({ playbook: 'fail_on_web02' }, context()));
    expect(err.code).toBe('ansible_local.playbook_failed');
    expect(err.failure).toBe('permanent');
    const hosts = err.details?.hosts as Record<string, { ok: number; failures: number }>;
    expect(hosts.web01).toMatchObject({ ok: 1, failures: 0 });
    expect(hosts.web02).toMatchObject({ failures: 1 });
    expect(err.message).toContain('FAILED web02 [check]: web02 is broken');
  });

  it('refuses a limit naming hosts outside the inventory, before running anything', async () => {
    const err = await failure(
      handlerFor().start({ playbook: 'echo', limit: 'web01,db99', vars: { message: 'x' } }, context()),
    );
    expect(err.code).toBe('ansible_local.invalid_params');
    expect(err.message).toBe('limit: "db99" not in the inventory');
  });

  it('refuses host patterns in limit, undeclared variables, wrong types and overlong strings, naming each', async () => {
    const handler = handlerFor();
    expect((await failure(handler.start({ playbook: 'echo', limit: 'all' }, context()))).message).toMatch(
      /limit: limit names "all"/,
    );
    expect((await failure(handler.start({ playbook: 'echo', limit: 'web*' }, context()))).message).toMatch(
      /host-pattern syntax/,
    );
    const err = await failure(
      handler.start(
        { playbook: 'echo', vars: { message: 'x'.repeat(301), items_in: 'one', ansible_connection: 'local' } },
        context(),
      ),
    );
    expect(err.details?.problems).toEqual([
      'vars.message: is 301 characters, more than 300',
      'vars.items_in: must be a list of strings, not string',
      'vars.ansible_connection: not a variable this playbook accepts (allowed: message, items_in)',
    ]);
    expect((await failure(handler.start({ playbook: 'nope' }, context()))).message).toMatch(/"nope" is not configured/);
  });

  it('kills the whole process group on timeout, including the module still running', async () => {
    const pidFile = path.join(scratch, 'sleep.pid');
    const handler = handlerFor(
      config({
        timeoutMs: 60_000,
        killGraceMs: 500,
        playbooks: {
          sleep: { file: 'sleep.yml', timeoutMs: 15_000, vars: { pid_file: { type: 'string', maxLength: 200 } } },
        },
      }),
    );
    const err = await failure(handler.start({ playbook: 'sleep', vars: { pid_file: pidFile } }, context()));
    expect(err.code).toBe('ansible_local.timeout');
    expect(err.failure).toBe('ambiguous');
    // The module started well before the deadline on any machine this runs on.
    await expectGone(Number(readFileSync(pidFile, 'utf8')));
  });

  it('kills the process group when the step is cancelled', async () => {
    const pidFile = path.join(scratch, 'sleep.pid');
    const abort = new AbortController();
    const handler = handlerFor(
      config({
        killGraceMs: 500,
        playbooks: { sleep: { file: 'sleep.yml', vars: { pid_file: { type: 'string', maxLength: 200 } } } },
      }),
    );
    const running = handler.start({ playbook: 'sleep', vars: { pid_file: pidFile } }, context(abort.signal));
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') await delay(100);
    abort.abort();
    const err = await failure(running);
    expect(err.code).toBe('ansible_local.canceled');
    await expectGone(Number(readFileSync(pidFile, 'utf8')));
  });

  it('health reports the inventory, and a clear error when ansible is missing', async () => {
    const ok = await ansibleLocalConnector
      .create(localRunnerConfigSchema.parse(config()), { logger: silentLogger() })
      .health();
    expect(ok).toEqual({ ok: true, detail: '2 inventory hosts' });
    const missing = await ansibleLocalConnector
      .create(localRunnerConfigSchema.parse(config({ ansibleInventory: '/nonexistent/ansible-inventory' })), {
        logger: silentLogger(),
      })
      .health();
    expect(missing.ok).toBe(false);
    expect(missing.detail).toMatch(/could not be started \(ENOENT\); install ansible-core/);
  });
});

async function expectGone(pid: number): Promise<void> {
  expect(pid).toBeGreaterThan(1);
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await delay(100);
  }
  throw new Error(`process ${pid} still runs`);
}
