import { setTimeout as sleep } from 'node:timers/promises';
import type { ActionHandler } from '../../../connectors/connector';
import { connectorSet } from '../../../src/engine/connector-set';
import { createDispatcher } from '../../../src/engine/dispatcher';
import { createStepWorker } from '../../../src/engine/step-worker';
import { createIntake } from '../../../src/ingest/intake';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { fakeCatalog, incidentEvent } from './harness';

const MAPPING = `
table: incident
rules:
  - id: run-playbook
    description: Run a long playbook
    owner: Linux Ops
    risk: low
    condition: short_descriptionLIKEis down on
    steps:
      - { name: playbook, use: fake.launch, with: { host: web-01 } }
`;

/** Short enough for a test, long enough that a busy machine's event-loop stalls do not matter. */
const LEASE_MS = 1000;

describe.each(ENGINES)('step leases on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  /** A backend whose launch runs until the test lets it finish (like a playbook run in-process). */
  function longJob() {
    const launches: string[] = [];
    let finish = () => undefined as void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const handler: ActionHandler<{ host: string }, { job: number }> = {
      async start(_params, ctx) {
        launches.push(ctx.idempotencyKey);
        await finished;
        return { status: 'done', result: { job: launches.length } };
      },
    };
    return { launches, finish, handler };
  }

  function worker(owner: string, handler: ActionHandler<{ host: string }, { job: number }>) {
    const connectors = connectorSet({
      fake: {
        descriptor: { classify: () => 'permanent' } as never,
        runtime: { actions: { launch: handler }, health: async () => ({ ok: true }) },
      },
    });
    return createStepWorker({
      store: t.store,
      repos: t.repos,
      logger: silentLogger(),
      metrics: createMetrics(),
      connectors,
      owner,
      leaseMs: LEASE_MS,
      retry: { baseDelayMs: 100, maxDelayMs: 1000 },
    });
  }

  async function startRun(): Promise<void> {
    const { ruleSet } = buildRuleSet({ 'incident.yaml': MAPPING }, fakeCatalog);
    const dispatcher = createDispatcher({
      store: t.store,
      repos: t.repos,
      rules: () => ruleSet!,
      integrationUser: 'snowline',
      logger: silentLogger(),
      metrics: createMetrics(),
    });
    await createIntake({ inbox: t.repos.inbox, metrics: createMetrics(), onAccepted: () => undefined }).accept(
      incidentEvent('c'.repeat(32)),
      'webhook',
    );
    for (const e of await t.repos.inbox.pending(10)) await dispatcher.dispatch(e);
  }

  it('keeps the lease of a step whose backend call outlasts it, so no other instance starts it again', async () => {
    await startRun();
    const job = longJob();
    const [step] = await t.repos.runs.claimDueSteps('w1', Date.now(), LEASE_MS, 10);
    const processing = worker('w1', job.handler).process(step!);
    await sleep(LEASE_MS * 2.5);
    expect(await t.repos.runs.claimDueSteps('w2', Date.now(), LEASE_MS, 10)).toEqual([]);
    job.finish();
    await processing;
    const [run] = await t.repos.runs.list({ ticket: 'INCccccccc', limit: 10 });
    expect(run!.steps[0]!.state).toBe('succeeded');
    expect(job.launches).toHaveLength(1);
  });

  it('lets another instance take over a step whose owner died once the lease expires', async () => {
    await startRun();
    await t.repos.runs.claimDueSteps('w1', Date.now(), LEASE_MS, 10); // w1 claims, then dies: no heartbeat
    expect(await t.repos.runs.claimDueSteps('w2', Date.now(), LEASE_MS, 10)).toEqual([]);
    await sleep(LEASE_MS + 100);
    const job = longJob();
    job.finish();
    const [taken] = await t.repos.runs.claimDueSteps('w2', Date.now(), LEASE_MS, 10);
    expect(taken).toBeDefined();
    await worker('w2', job.handler).process(taken!);
    const [run] = await t.repos.runs.list({ ticket: 'INCccccccc', limit: 10 });
    expect(run!.steps[0]!.state).toBe('succeeded');
    expect(job.launches).toHaveLength(1);
  });
});
