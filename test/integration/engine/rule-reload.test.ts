import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { ActionHandler } from '../../../connectors/connector';
import { connectorSet } from '../../../src/engine/connector-set';
import { createDispatcher } from '../../../src/engine/dispatcher';
import { createStepWorker } from '../../../src/engine/step-worker';
import type { TicketEvent } from '../../../src/engine/event.schema';
import { createIntake } from '../../../src/ingest/intake';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import type { MappingCatalog } from '../../../src/rules/mapping-catalog';
import { createRuleReloader } from '../../../src/mappings/rule-reloader';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

const mapping = (note: string) => `
table: incident
rules:
  - id: restart-when-down
    description: Restart a service that is down
    owner: Linux Ops
    risk: low
    condition: short_descriptionLIKEis down
    steps:
      - name: restart
        use: fake.launch
        with: { host: web-01 }
    writeback:
      success:
        work_note: "${note} {{ rule.version }}"
`;

const catalog: MappingCatalog = {
  fieldExists: (_table, field) => ['short_description', 'state'].includes(field),
  connectorExists: (c) => c === 'fake',
  action: (c, a) =>
    c === 'fake' && a === 'launch'
      ? {
          name: 'launch',
          description: 'launch',
          params: z.object({ host: z.string() }),
          result: z.object({ job: z.number() }),
        }
      : undefined,
  template: () => undefined,
  withTemplates: () => catalog,
};

const handler: ActionHandler<{ host: string }, { job: number }> = {
  start: async () => ({ status: 'done', result: { job: 1 } }),
  check: async () => ({ status: 'done', result: { job: 1 } }),
  recover: async () => undefined,
};

const event = (n: number): TicketEvent => ({
  event: 'inserted',
  table: 'incident',
  sys_id: String(n).padStart(32, '0'),
  number: `INC000000${n}`,
  sys_mod_count: 0,
  sys_updated_on: '2026-12-01 09:00:00',
  sys_updated_by: 'fred',
  changed_fields: [],
  record: { short_description: 'nginx is down' },
});

describe.each(ENGINES)('rule versions and reload on %s', (engine) => {
  let t: TestStore;
  let dir: string;
  beforeEach(async () => {
    t = await openTestStore(engine);
    dir = mkdtempSync(join(tmpdir(), 'snowline-rules-'));
    writeFileSync(join(dir, 'incident.yaml'), mapping('version one'));
  });
  afterEach(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function setUp() {
    const metrics = createMetrics();
    const logger = silentLogger();
    const { reloader } = await createRuleReloader({
      dir,
      catalog,
      versions: t.repos.ruleVersions,
      logger,
      metrics,
      loadedBy: 'test@host',
    });
    const intake = createIntake({ inbox: t.repos.inbox, metrics, onAccepted: () => undefined });
    const dispatcher = createDispatcher({
      store: t.store,
      repos: t.repos,
      rules: reloader!.current,
      integrationUser: 'snowline',
      logger,
      metrics,
    });
    const connectors = connectorSet({
      fake: {
        descriptor: { classify: () => 'permanent' } as never,
        runtime: { actions: { launch: handler }, health: async () => ({ ok: true }) },
      },
    });
    const worker = createStepWorker({
      store: t.store,
      repos: t.repos,
      connectors,
      logger,
      metrics,
      owner: 'w',
      leaseMs: 10_000,
      retry: { baseDelayMs: 1, maxDelayMs: 1 },
    });
    const dispatchPending = async () => {
      for (const e of await t.repos.inbox.pending(100)) await dispatcher.dispatch(e);
    };
    const workSteps = async () => {
      for (const s of await t.repos.runs.claimDueSteps('w', Date.now() + 1000, 10_000, 100)) await worker.process(s);
    };
    return { reloader: reloader!, metrics, intake, dispatchPending, workSteps };
  }

  it('an invalid change is refused: the running version stays, and the refusal is visible', async () => {
    const { reloader, metrics } = await setUp();
    const before = reloader.current().version;
    writeFileSync(join(dir, 'incident.yaml'), mapping('version two').replace('risk: low', 'risk: extreme'));
    const result = await reloader.reload();
    expect(result.applied).toBe(false);
    expect(reloader.current().version).toBe(before);
    expect(reloader.status().rejected!.problems).toEqual([
      expect.stringMatching(/incident\.yaml:\d+:\d+ rules\.0\.risk: /),
    ]);
    expect(await metrics.registry.getSingleMetricAsString('snowline_rule_set_invalid')).toMatch(
      /snowline_rule_set_invalid 1/,
    );
    writeFileSync(join(dir, 'incident.yaml'), mapping('version two'));
    expect((await reloader.reload()).applied).toBe(true);
    expect(reloader.status().rejected).toBeUndefined();
  });

  it('a file change on disk is picked up by the watcher', async () => {
    const { reloader } = await setUp();
    const before = reloader.current().version;
    reloader.watch();
    try {
      writeFileSync(join(dir, 'incident.yaml'), mapping('version two'));
      for (let i = 0; i < 100 && reloader.current().version === before; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(reloader.current().version).not.toBe(before);
    } finally {
      await reloader.stop();
    }
  });

  it('an editor saving by rename-and-replace, twice, is picked up both times (the directory is watched)', async () => {
    const { reloader } = await setUp();
    reloader.watch();
    const saveByRename = (note: string) => {
      writeFileSync(join(dir, 'incident.yaml.tmp'), mapping(note));
      renameSync(join(dir, 'incident.yaml.tmp'), join(dir, 'incident.yaml'));
    };
    const waitForChange = async (from: string) => {
      for (let i = 0; i < 200 && reloader.current().version === from; i++) await new Promise((r) => setTimeout(r, 50));
      return reloader.current().version;
    };
    try {
      const first = reloader.current().version;
      // chokidar reports only changes after it is ready; let it settle before the first save.
      await new Promise((r) => setTimeout(r, 300));
      saveByRename('version two');
      const second = await waitForChange(first);
      expect(second).not.toBe(first);
      saveByRename('version three');
      const third = await waitForChange(second);
      expect(third).not.toBe(second);
      expect(reloader.current().sources['incident.yaml']).toContain('version three');
    } finally {
      await reloader.stop();
    }
  });

  it('a run started before a reload finishes on its version; the next run takes the new one; both are stored', async () => {
    const { reloader, intake, dispatchPending, workSteps } = await setUp();
    const first = reloader.current().version;
    await intake.accept(event(1), 'webhook');
    await dispatchPending();
    writeFileSync(join(dir, 'incident.yaml'), mapping('version two'));
    await reloader.reload();
    const second = reloader.current().version;
    await intake.accept(event(2), 'webhook');
    await dispatchPending();
    await workSteps();
    const runs = await t.repos.runs.list({ limit: 10 });
    const byTicket = Object.fromEntries(runs.map((r) => [r.ticket_number, r]));
    expect([byTicket.INC0000001!.rule_version, byTicket.INC0000002!.rule_version]).toEqual([first, second]);
    const notes = await t.store.db
      .selectFrom('outbox')
      .select(['ticket_number', 'fields'])
      .orderBy('ticket_number')
      .execute();
    expect(notes.map((n) => JSON.parse(n.fields).work_notes.split('\n')[0])).toEqual([
      `version one ${first}`,
      `version two ${second}`,
    ]);
    expect((await t.repos.ruleVersions.list()).map((v) => v.version).sort()).toEqual([first, second].sort());
    expect(await t.repos.ruleVersions.sources(first)).toEqual({ 'incident.yaml': mapping('version one') });
  });
});
