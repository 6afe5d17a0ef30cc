import { failureHooks } from '../../../src/engine/failure-hooks';
import type { StepDefinition } from '../../../src/rules/mapping.schema';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

/**
 * A failed run starts its rule's on_failure steps — or the configured default — as a run of their
 * own, once, with what failed in their templates. The steps here use the fake connector; the
 * notify connector's own delivery is tested in test/integration/connectors/notify.test.ts.
 */
const rule = (id: string, onFailure: string) => `
  - id: ${id}
    description: Deploy that fails
    owner: Ops
    risk: low
    condition: short_descriptionSTARTSWITH${id}
    steps:
      - name: deploy
        use: fake.fail
        with: { host: web-01 }
${onFailure}`;
const MAPPING = `table: incident
rules:${rule(
  'with-own',
  `    on_failure:
      - name: tell
        use: fake.launch
        with: { host: "{{ failure.step }} of {{ failure.rule }} on {{ ticket.number }}: {{ failure.error }}" }
`,
)}${rule('with-none', '    on_failure: []\n')}${rule('with-default', '')}`;

const DEFAULT_STEPS: StepDefinition[] = [
  { name: 'page', use: 'fake.launch', with: { host: 'default hook for {{ failure.run_id }}' }, gates: [] },
];

/** The hook run's event is the failed run's, marked `:on_failure:<failed run id>`. */
const isHook = (run: { event_key: string }) => run.event_key.includes(':on_failure:');

describe.each(ENGINES)('on_failure runs on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  it("start the rule's own steps once, the configured default for rules without, and nothing for on_failure: []", async () => {
    const e = buildEngine(t, MAPPING, { hooks: failureHooks({ repos: t.repos, defaultSteps: DEFAULT_STEPS }) });
    const tickets: Record<string, string> = {};
    for (const [i, id] of ['with-own', 'with-none', 'with-default'].entries()) {
      const sysId = String(i + 1).repeat(32);
      const event = incidentEvent(sysId, { short_description: `${id} please`, number: `INC000000${i}` });
      await e.intake.accept({ ...event, number: `INC000000${i}` }, 'webhook');
      tickets[id] = `INC000000${i}`;
    }
    await e.settle();

    const runsOf = async (id: string) =>
      (await t.repos.runs.list({ ticket: tickets[id], limit: 10 })).sort(
        (a, b) => Number(isHook(a)) - Number(isHook(b)),
      );
    const own = await runsOf('with-own');
    expect(own.map((r) => [r.rule_id, r.state])).toEqual([
      ['with-own', 'failed'],
      ['with-own', 'succeeded'],
    ]);
    expect(own[1]!.steps.map((s) => s.name)).toEqual(['tell']);
    expect((await runsOf('with-none')).map((r) => r.state)).toEqual(['failed']);
    const defaulted = await runsOf('with-default');
    expect(defaulted.map((r) => r.state)).toEqual(['failed', 'succeeded']);

    const hosts = [...e.backend.jobs.values()].map((j) => j.host).sort();
    expect(hosts).toEqual([
      `default hook for ${defaulted[0]!.id}`,
      `deploy of with-own on ${tickets['with-own']}: deploy to web-01 failed`,
    ]);
    // The hook runs write nothing back (and these rules ask for no failure write-back).
    expect(e.instance.patches).toHaveLength(0);

    // Settling again (a restart, another worker) starts no second hook run.
    await e.settle();
    expect(await runsOf('with-own')).toHaveLength(2);
    expect(e.backend.jobs.size).toBe(2);
  });
});
