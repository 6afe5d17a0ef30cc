import { setTimeout as sleep } from 'node:timers/promises';
import { createEngine } from '../../../src/engine/engine';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import type { Repositories } from '../../../src/store';
import { soleInstanceSignals } from '../../../src/store/work-signals';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

const MAPPING = `table: incident
rules:
  - id: restart-web
    description: Remediate
    owner: Linux Ops
    risk: low
    condition: short_descriptionLIKEis down on
    steps:
      - { name: remediate, use: fake.launch, with: { host: web-01 } }
`;

/**
 * The step loop claims again at once only when its last claim may have left due steps behind: a
 * claim is a transaction (three round trips on PostgreSQL), and an empty one after every round
 * was half of all step claims under a burst (docs/benchmarks.md, session 10).
 */
describe.each(ENGINES)('the step loop on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  it('claims until a claim comes back short of its free slots, then waits to be woken', async () => {
    const e = buildEngine(t, MAPPING);
    for (const n of [1, 2, 3]) await e.intake.accept(incidentEvent(String(n).repeat(32)), 'webhook');
    await e.dispatch();

    const claims: number[] = [];
    const runs = t.repos.runs;
    const repos: Repositories = {
      ...t.repos,
      runs: {
        ...runs,
        claimDueSteps: async (...args: Parameters<typeof runs.claimDueSteps>) => {
          const steps = await runs.claimDueSteps(...args);
          claims.push(steps.length);
          return steps;
        },
      },
    };
    const processed: string[] = [];
    const idle = async () => undefined;
    const loops = createEngine({
      repos,
      dispatcher: { dispatchAll: idle } as never,
      stepWorker: { process: async (step: { id: string }) => void processed.push(step.id) } as never,
      admission: { admit: async () => 0 } as never,
      outboxSender: { deliver: idle } as never,
      writebacks: { complete: idle, sweep: idle } as never,
      logger: silentLogger(),
      metrics: createMetrics(),
      owner: 'w1',
      leaseMs: 30_000,
      // Polling only every 10 s: a claim sooner than that was the loop's own choice.
      tickMs: 10_000,
      concurrency: 2,
      signals: soleInstanceSignals,
    });
    loops.start();
    await sleep(300);
    await loops.stop(1000);

    expect(processed).toHaveLength(3);
    // Two slots: a full claim of two, then one of the one left, which shows nothing more is due.
    expect(claims).toEqual([2, 1]);
  });
});
