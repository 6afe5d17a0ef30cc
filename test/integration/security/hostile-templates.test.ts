import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ActionContext, ActionHandler } from '../../../connectors/connector';
import {
  ansibleLocalConnector,
  localRunnerConfigSchema,
  playbookVarsProblems,
} from '../../../connectors/ansible/local';
import { httpConfigSchema, httpConnector } from '../../../connectors/http';
import { ConnectorError, SnowlineError } from '../../../src/errors';
import { silentLogger } from '../../../src/observability/logger';
import { renderValue } from '../../../src/rules/template';
import type { TemplateValue } from '../../../src/rules/mapping.schema';
import { hostileStrings, prototypePolluted } from '../../helpers/hostile-corpus';
import { createServiceNowRuntime, ServiceNowClient } from '../../../connectors/servicenow';
import { startStub, type Stub } from '../connectors/stub-server';
import { startSandbox, type RunningSandbox } from '../sandbox/sandbox-harness';

/**
 * Ticket text from the hostile corpus rendered by a rule's templates into what connectors send:
 * an HTTP request's path, query, header and JSON body, and a playbook's extra vars run by the real
 * ansible-playbook. Each value arrives exactly as typed, or the step is refused before anything
 * is sent, naming the field. Nothing is evaluated: no sentinel file, no polluted prototype.
 */
jest.setTimeout(180_000);

const scratch = mkdtempSync(path.join(tmpdir(), 'snowline-hostile-tpl-'));
const SENTINEL = path.join(scratch, 'pwned');
const STRINGS = hostileStrings(SENTINEL);
const scopeOf = (text: string) => ({ ticket: { number: 'INC0010001', short_description: text }, params: {} });

function context(): ActionContext {
  return {
    idempotencyKey: 'run-1:call',
    runId: 'run-1',
    stepName: 'call',
    ticket: { table: 'incident', sysId: 'a'.repeat(32), number: 'INC0010001' },
    logger: silentLogger(),
    signal: new AbortController().signal,
  };
}

/** Renders the step's `with`; a template that cannot render is a clean, named refusal. */
function render(template: TemplateValue, text: string): Record<string, unknown> | SnowlineError {
  try {
    return renderValue(template, scopeOf(text)) as Record<string, unknown>;
  } catch (err) {
    expect(err).toBeInstanceOf(SnowlineError);
    expect((err as SnowlineError).code).toBe('template.render_failed');
    return err as SnowlineError;
  }
}

async function outcome(handler: ActionHandler, params: Record<string, unknown>): Promise<'sent' | ConnectorError> {
  try {
    await handler.start(params, context());
    return 'sent';
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    return err as ConnectorError;
  }
}

afterAll(() => {
  expect(existsSync(SENTINEL)).toBe(false);
  expect(prototypePolluted()).toBe(false);
  rmSync(scratch, { recursive: true, force: true });
});

describe('hostile ticket text rendered into an HTTP request (http.request)', () => {
  let stub: Stub;
  let handler: ActionHandler;
  beforeAll(async () => {
    stub = await startStub();
    stub.on('POST', /.*/, { status: 200, body: { ok: true } });
    const runtime = httpConnector.create(
      httpConfigSchema.parse({ endpoints: { api: { baseUrl: `${stub.url}/api` } } }),
      { logger: silentLogger() } as never,
    );
    handler = runtime.actions.request!;
  });
  afterAll(() => stub.close());

  const BODY_QUERY_PATH: TemplateValue = {
    endpoint: 'api',
    method: 'POST',
    path: '/tickets/{{ ticket.short_description | url_encode }}',
    query: { q: '{{ ticket.short_description }}' },
    body: {
      text: '{{ ticket.short_description }}',
      list: ['{{ ticket.short_description }}'],
      number: '{{ ticket.number }}',
    },
  };
  const HEADER: TemplateValue = {
    endpoint: 'api',
    method: 'POST',
    path: '/notes',
    headers: { 'X-Ticket-Text': '{{ ticket.short_description }}' },
  };

  it.each(STRINGS.map((s) => [s.id, s] as const))(
    '%s in path, query and body: sent exactly, or refused naming the field',
    async (_id, { value }) => {
      const params = render(BODY_QUERY_PATH, value);
      if (params instanceof SnowlineError) return;
      const before = stub.requests.length;
      const result = await outcome(handler, params);
      if (result === 'sent') {
        const req = stub.requests[before]!;
        expect(req.json).toEqual({ text: value, list: [value], number: 'INC0010001' });
        expect(req.query.q).toBe(value);
        expect(decodeURIComponent(req.path.slice('/api/tickets/'.length))).toBe(value);
      } else {
        expect(result).toMatchObject({ failure: 'permanent' });
        expect(result.message).toMatch(/\b(path|query\.q)\b/);
        expect(stub.requests.length).toBe(before);
      }
    },
  );

  it.each(STRINGS.map((s) => [s.id, s] as const))(
    '%s in a header: sent exactly, or refused naming the header',
    async (_id, { value }) => {
      const params = render(HEADER, value);
      if (params instanceof SnowlineError) return;
      const before = stub.requests.length;
      const result = await outcome(handler, params);
      if (result === 'sent') {
        expect(
          Buffer.from(stub.requests[before]!.headers['x-ticket-text'] as string, 'latin1').toString('latin1'),
        ).toBe(value);
      } else {
        expect(result).toMatchObject({ failure: 'permanent' });
        expect(result.message).toContain('headers.X-Ticket-Text');
        expect(stub.requests.length).toBe(before);
      }
    },
  );
});

describe('hostile ticket text rendered into an attachment name (servicenow.attach_file on the sandbox)', () => {
  let s: RunningSandbox;
  let client: ServiceNowClient;
  let handler: ActionHandler;
  let sysId: string;
  beforeAll(async () => {
    s = await startSandbox();
    client = new ServiceNowClient(
      { url: s.url, auth: { type: 'basic', username: 'admin', password: 'admin' } },
      { sleep: async () => {} },
    );
    handler = createServiceNowRuntime(client).actions.attach_file!;
    sysId = (await s.snow.post('/api/now/table/incident', { short_description: 'attachments' })).data.result.sys_id;
  });
  afterAll(async () => {
    await client.close();
    await s.sandbox.close();
  });
  const TEMPLATE: TemplateValue = {
    table: 'incident',
    sys_id: '{{ ticket.sys_id }}',
    file_name: '{{ ticket.short_description }}.log',
    content: 'job output',
  };

  it.each(STRINGS.map((x) => [x.id, x] as const))(
    '%s: stored under exactly that name, or refused naming file_name',
    async (_id, { value }) => {
      const params = renderValue(TEMPLATE, { ticket: { sys_id: sysId, short_description: value } }) as Record<
        string,
        unknown
      >;
      const result = await outcome(handler, params);
      if (/[\u202a-\u202e\u2066-\u2069]/.test(value)) expect(result).not.toBe('sent');
      if (result === 'sent') {
        const rows = (
          await s.snow.get('/api/now/attachment', {
            params: { sysparm_query: `table_sys_id=${sysId}^ORDERBYDESCsys_created_on`, sysparm_limit: 1 },
          })
        ).data.result;
        expect(rows[0].file_name).toBe(`${value}.log`);
      } else {
        expect(result).toMatchObject({ failure: 'permanent' });
        expect(result.message).toContain('file_name');
      }
    },
  );
});

describe('hostile ticket text rendered into playbook extra vars (real ansible-playbook)', () => {
  const FIXTURES = path.join(__dirname, '../../fixtures/ansible/local');
  const MAX_LENGTH = 8192;
  const handler = ansibleLocalConnector.create(
    localRunnerConfigSchema.parse({
      playbookDir: path.join(FIXTURES, 'playbooks'),
      inventory: path.join(FIXTURES, 'inventory.ini'),
      workRoot: scratch,
      playbooks: {
        echo: {
          file: 'echo.yml',
          vars: {
            message: { type: 'string', maxLength: MAX_LENGTH },
            items_in: { type: 'string_list', maxItems: 500, maxLength: MAX_LENGTH },
          },
        },
      },
    }),
    { logger: silentLogger() },
  ).actions.run_playbook!;
  const TEMPLATE: TemplateValue = {
    playbook: 'echo',
    limit: 'web01',
    vars: { message: '{{ ticket.short_description }}' },
  };

  const refused = (text: string) =>
    playbookVarsProblems({ message: text }, { message: { type: 'string', maxLength: MAX_LENGTH, required: false } })
      .length > 0;

  it('refuses text the variable does not allow (too long, NUL) before running anything, naming the variable', async () => {
    const refusedStrings = STRINGS.filter((s) => refused(s.value));
    expect(refusedStrings.length).toBeGreaterThan(0);
    for (const { value } of refusedStrings) {
      const result = await outcome(handler, render(TEMPLATE, value) as Record<string, unknown>);
      expect(result).toMatchObject({ failure: 'permanent', message: expect.stringContaining('vars.message') });
    }
  });

  it('runs every other string through one playbook as literal data: echoed back exactly, nothing evaluated', async () => {
    const fitting = STRINGS.filter((s) => !refused(s.value)).map((s) => s.value);
    const rendered = fitting.map((text) => (render(TEMPLATE, text) as { vars: { message: string } }).vars.message);
    expect(rendered).toEqual(fitting);
    const progress = await handler.start(
      {
        playbook: 'echo',
        limit: 'web01',
        vars: { message: fitting.find((s) => s.includes("lookup('pipe'"))!, items_in: fitting },
      },
      context(),
    );
    expect(progress.status).toBe('done');
    const result = (progress as { result: { messages: { task: string; msg: string }[] } }).result;
    expect(result.messages.filter((m) => m.task === 'show items').map((m) => m.msg)).toEqual([fitting.join('|')]);
    expect(JSON.stringify(result)).not.toMatch(/uid=\d+\(/);
  });
});
