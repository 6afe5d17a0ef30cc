import { createWritebackCompletion } from '../../../src/engine/writeback-completion';
import { Writable } from 'node:stream';
import request from 'supertest';
import winston from 'winston';
import { z } from 'zod';
import type { ActionHandler } from '../../../connectors/connector';
import { apiRoutes } from '../../../src/api/api-routes';
import { API_BASE, createHttpApp } from '../../../src/api/http-app';
import { connectorSet } from '../../../src/engine/connector-set';
import { createDispatcher } from '../../../src/engine/dispatcher';
import { createOutboxSender, type WritebackTarget } from '../../../src/engine/outbox-sender';
import { createStepWorker } from '../../../src/engine/step-worker';
import { ConnectorError } from '../../../src/errors';
import type { TicketEvent } from '../../../src/engine/event.schema';
import { createIntake } from '../../../src/ingest/intake';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import type { MappingCatalog } from '../../../src/rules/mapping-catalog';
import { createTokenVerifier, issueToken } from '../../../src/security/jwt';
import { openTestStore, type TestStore } from '../../helpers/stores';
import { shippedApiDeps } from '../api/api-harness';

const PLANTED = 'PLANTED-Vault-9f3c1e77';

// The secret comes from the ticket (say, a one-time vault password an agent pasted) and is used
// by a step; the rule deliberately tries to print it in its work notes.
const MAPPING = `
table: incident
rules:
  - id: unlock-vault
    description: Unlock a vault with the password from the ticket
    owner: Security Ops
    risk: high
    on: [inserted]
    condition: short_descriptionLIKEunlock
    params:
      host: "{{ ticket.short_description | capture: 'on ([a-z0-9-]+)' }}"
      vault_pass: "{{ ticket.description | capture: 'password ([A-Za-z0-9-]+)' }}"
    secret_params: [vault_pass]
    steps:
      - name: unlock
        use: fake.unlock
        with: { host: "{{ params.host }}", password: "{{ params.vault_pass }}" }
    writeback:
      success:
        work_note: "unlocked {{ params.host }} with {{ params.vault_pass }}; backend said {{ steps.unlock.echo }}"
      failure:
        work_note: "failed with {{ params.vault_pass }}: {{ error }}"
`;

const catalog: MappingCatalog = {
  fieldExists: (_t, field) => ['short_description', 'description'].includes(field),
  connectorExists: (c) => c === 'fake',
  action: (c, a) =>
    c === 'fake' && a === 'unlock'
      ? {
          name: 'unlock',
          description: 'unlock',
          params: z.object({ host: z.string(), password: z.string() }),
          result: z.object({ echo: z.string() }),
        }
      : undefined,
  template: () => undefined,
  withTemplates() {
    return this;
  },
};

/** A careless backend: it logs its parameters, echoes them in its result, and in its error. */
const careless: ActionHandler<{ host: string; password: string }, { echo: string }> = {
  async start(params, ctx) {
    ctx.logger.info('unlocking', { host: params.host, pw: params.password, detail: `using ${params.password}` });
    if (params.host === 'db-02')
      throw new ConnectorError(
        'fake',
        'permanent',
        'bad_password',
        `vault refused password ${params.password} for ${params.host}`,
      );
    return { status: 'done', result: { echo: `accepted ${params.password}` } };
  },
};

const ticket = (sysId: string, host: string): TicketEvent => ({
  event: 'inserted',
  table: 'incident',
  sys_id: sysId,
  number: `INC${sysId.slice(0, 7)}`,
  sys_mod_count: 0,
  sys_updated_on: '2026-11-28 09:00:00',
  sys_updated_by: 'abel.tuter',
  changed_fields: [],
  record: {
    sys_id: sysId,
    short_description: `please unlock on ${host}`,
    description: `the one-time password ${PLANTED} expires at noon`,
  },
});

describe('a param marked secret', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore('sqlite');
  });
  afterEach(() => t.close());

  it('reaches the backend but never a log line, work note, audit entry, API answer or stored error', async () => {
    const logLines: string[] = [];
    const logger = createLogger('debug');
    logger.clear();
    logger.add(
      new winston.transports.Stream({
        stream: new Writable({
          write(chunk, _enc, done) {
            logLines.push(String(chunk));
            done();
          },
        }),
      }),
    );

    const { ruleSet, problems } = buildRuleSet({ 'incident.yaml': MAPPING }, catalog);
    expect(problems).toEqual([]);
    const received: string[] = [];
    const patches: Record<string, string>[] = [];
    const target: WritebackTarget = {
      async patch(_table, _sysId, fields) {
        patches.push(fields);
        return { modCount: patches.length };
      },
      async journalContains() {
        return false;
      },
      classify: () => 'permanent',
    };
    const handler: typeof careless = { start: async (p, ctx) => (received.push(p.password), careless.start(p, ctx)) };
    const metrics = createMetrics();
    const deps = { store: t.store, repos: t.repos, logger, metrics };
    const connectors = connectorSet({
      fake: {
        descriptor: { classify: () => 'permanent' } as never,
        runtime: { actions: { unlock: handler }, health: async () => ({ ok: true }) },
      },
    });
    const intake = createIntake({ inbox: t.repos.inbox, metrics, onAccepted: () => undefined });
    const dispatcher = createDispatcher({ ...deps, rules: () => ruleSet!, integrationUser: 'snowline' });
    const worker = createStepWorker({
      ...deps,
      connectors,
      owner: 'w',
      leaseMs: 10_000,
      retry: { baseDelayMs: 1, maxDelayMs: 1 },
    });
    const sender = createOutboxSender({
      store: t.store,
      repos: t.repos,
      target,
      logger,
      metrics,
      owner: 'w',
      leaseMs: 10_000,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
    });

    const writebacks = createWritebackCompletion(deps);
    await intake.accept(ticket('a'.repeat(32), 'web-01'), 'webhook');
    await intake.accept(ticket('b'.repeat(32), 'db-02'), 'webhook');
    for (let round = 0; round < 10; round++) {
      for (const e of await t.repos.inbox.pending(100)) await dispatcher.dispatch(e);
      for (const s of await t.repos.runs.claimDueSteps('w', Date.now(), 10_000, 100)) await worker.process(s);
      for (const e of await t.repos.outbox.claimDue('w', Date.now(), 10_000, 100)) {
        await sender.send(e);
        await writebacks.complete(e.run_id);
      }
    }

    // The step got the real value, and both runs ended and wrote back.
    expect(received).toEqual([PLANTED, PLANTED]);
    const runs = await t.repos.runs.list({ limit: 10 });
    expect(runs.map((r) => r.state).sort()).toEqual(['failed', 'succeeded']);
    expect(patches).toHaveLength(2);
    expect(patches.map((p) => p.work_notes).join('\n')).toContain(
      'unlocked web-01 with [redacted]; backend said accepted [redacted]',
    );

    const app = createHttpApp({
      logger,
      metrics,
      verifier: createTokenVerifier({ secret: 'k'.repeat(32), issuer: 'i', audience: 'a' }),
      bodyLimitBytes: 1024,
      version: 't',
      corsOrigins: [],
      rateLimitPerMinute: 100,
      readiness: async () => ({ ready: true, checks: {} }),
      routes: apiRoutes(await shippedApiDeps(t)),
    });
    const admin = `Bearer ${issueToken({ secret: 'k'.repeat(32), issuer: 'i', audience: 'a' }, 'auditor-1', ['admin'], 60)}`;
    const api = [
      (await request(app).get(`${API_BASE}/runs`).set('Authorization', admin)).text,
      ...(await Promise.all(
        runs.map(async (r) => (await request(app).get(`${API_BASE}/runs/${r.id}`).set('Authorization', admin)).text),
      )),
      (await request(app).get(`${API_BASE}/audit`).query({ from: '2000-01-01T00:00:00Z' }).set('Authorization', admin))
        .text,
    ];

    const channels = {
      logs: logLines.join(''),
      workNotes: JSON.stringify(patches),
      audit: JSON.stringify(await t.store.db.selectFrom('audit_log').selectAll().execute()),
      api: api.join('\n'),
      storedStepErrorsAndResults: JSON.stringify(
        await t.store.db.selectFrom('steps').select(['result', 'error']).execute(),
      ),
      outbox: JSON.stringify(await t.store.db.selectFrom('outbox').selectAll().execute()),
    };
    expect(channels.logs).toContain('unlocking'); // the careless log line was written, masked
    expect(channels.api).toContain('vault refused password [redacted] for db-02');
    for (const [channel, text] of Object.entries(channels))
      expect({ channel, leaked: text.includes(PLANTED) }).toEqual({ channel, leaked: false });
  });
});
