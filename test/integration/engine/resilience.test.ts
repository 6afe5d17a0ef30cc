import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectorError } from '../../../src/errors';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

const mapping = (retry: string) => `
table: incident
rules:
  - id: restart
    description: Restart
    owner: Linux Ops
    risk: low
    condition: short_descriptionLIKEis down on
    steps:
      - { name: restart, use: fake.launch, with: { host: web-01 }${retry} }
`;

describe.each(ENGINES)('resilience on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  /** A backend that refuses every launch while `down`, counting the calls that reached it. */
  function flakyLaunch(e: ReturnType<typeof buildEngine>) {
    const state = { down: true, calls: 0 };
    const realStart = e.backend.handler.start;
    e.backend.handler.start = async (params, ctx) => {
      state.calls += 1;
      if (state.down) throw new ConnectorError('fake', 'transient', 'unavailable', '503 Service Unavailable');
      return realStart(params, ctx);
    };
    return state;
  }

  it('a step retry policy overrides the engine default', async () => {
    const e = buildEngine(t, mapping(', retry: { max_attempts: 1 }'));
    flakyLaunch(e);
    await e.intake.accept(incidentEvent('a'.repeat(32)), 'webhook');
    await e.settle(60_000);
    const run = await e.onlyRun('INCaaaaaaa');
    expect(run.state).toBe('failed');
    expect(run.steps[0]).toMatchObject({
      attempt: 1,
      error: 'gave up after 1 attempt(s) over 0 s: 503 Service Unavailable',
    });
  });

  it('opens the circuit when the backend is down: steps wait without spending attempts, and all succeed once it closes', async () => {
    const e = buildEngine(t, mapping(', retry: { max_attempts: 3 }'), {
      breakers: { failureThreshold: 2, resetAfterMs: 3000 },
    });
    const backend = flakyLaunch(e);
    for (const id of ['1', '2', '3', '4']) await e.intake.accept(incidentEvent(id.repeat(32)), 'webhook');
    await e.settle(2 * 60_000);
    expect(e.breakers!.states()).toEqual({ fake: 'open' });
    const waiting = (await t.repos.runs.list({ limit: 10 })).map((r) => r.steps[0]!);
    expect(waiting.every((s) => s.state !== 'failed')).toBe(true);
    expect(waiting.filter((s) => s.waiting_for === 'circuit open for connector fake').length).toBeGreaterThan(0);
    const callsWhileDown = backend.calls;
    expect(callsWhileDown).toBe(2);
    expect(await e.metrics.registry.getSingleMetricAsString('snowline_circuit_state')).toContain(
      'snowline_circuit_state{connector="fake"} 2',
    );

    backend.down = false;
    await sleep(3100); // opossum's reset timer runs on the real clock
    for (
      let round = 0;
      round < 10 && (await t.repos.runs.list({ limit: 10 })).some((r) => r.state === 'running');
      round++
    )
      await e.settle(60_000);
    const runs = await t.repos.runs.list({ limit: 10 });
    expect(runs.map((r) => r.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(e.breakers!.states()).toEqual({ fake: 'closed' });
    expect(await e.metrics.registry.getSingleMetricAsString('snowline_circuit_state')).toContain(
      'snowline_circuit_state{connector="fake"} 0',
    );
    e.breakers!.shutdown();
  });
});
