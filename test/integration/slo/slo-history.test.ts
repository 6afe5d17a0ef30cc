import { observabilitySchema } from '../../../src/observability/observability-config';
import { evaluateSlos } from '../../../src/slo/slo-history';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 11, 4, 12);

describe.each(ENGINES)('SLOs from the run history (%s)', (engine) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(engine);
  });
  afterAll(async () => t.close());

  async function addRun(rule: string, state: string, finishedMinutesAgo: number, durationSeconds = 10) {
    const finished = NOW - finishedMinutesAgo * MINUTE;
    const id = `${rule}-${state}-${finishedMinutesAgo}-${durationSeconds}-${Math.random()}`;
    await t.store.db
      .insertInto('runs')
      .values({
        id,
        rule_id: rule,
        rule_version: 'v1',
        table_name: 'incident',
        sys_id: 'a'.repeat(32),
        ticket_number: 'INC0010001',
        event_key: `incident:${id}`,
        state,
        context: '{}',
        correlation_id: id,
        created_at: finished - durationSeconds * 1000,
        updated_at: finished,
        finished_at: finished,
        concurrency_key: null,
      })
      .execute();
  }

  it('counts each window from the store: a rule failing now burns fast, the other stays within budget', async () => {
    for (let i = 0; i < 20; i++) await addRun('steady', 'succeeded', 2 + i * 60);
    await addRun('steady', 'failed', 3 * 24 * 60);
    for (let i = 0; i < 8; i++) await addRun('flaky', 'succeeded', 10 + i, i < 2 ? 900 : 10);
    for (let i = 0; i < 4; i++) await addRun('flaky', i === 3 ? 'refused' : 'failed', 1 + i);
    const settings = observabilitySchema.parse({
      slo: { rules: { flaky: { duration: { objective: 0.95, thresholdSeconds: 600 } } } },
    }).slo;
    const slos = await evaluateSlos(t.repos.runHistory, settings, ['steady', 'flaky'], NOW);
    const byId = new Map(slos.map((s) => [s.id, s]));

    const flaky = byId.get('flaky:success')!;
    // Refused runs say nothing about automation's health: 8 succeeded + 3 failed.
    expect([flaky.events, flaky.bad]).toEqual([11, 3]);
    expect(flaky.windows[0]).toMatchObject({ firing: true, longEvents: 11 });
    expect(flaky.burning).toBe('page');

    expect(byId.get('flaky:duration')).toMatchObject({ events: 8, bad: 2, indicator: 'duration' });

    const steady = byId.get('steady:success')!;
    expect([steady.events, steady.bad, steady.burning]).toEqual([21, 1, null]);
    expect(byId.get('*:success')).toMatchObject({ events: 32, bad: 4 });
  });
});
