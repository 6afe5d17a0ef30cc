import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

/** The rule needs the ticket's CI: a ticket without one cannot start a run (its params fail to render). */
const MAPPING = `
table: incident
rules:
  - id: restart
    description: Restart
    owner: Linux Ops
    risk: low
    condition: short_descriptionLIKEis down on
    params: { ci: "{{ ticket.cmdb_ci }}" }
    steps:
      - { name: restart, use: fake.launch, with: { host: "{{ params.ci }}" } }
`;

describe.each(ENGINES)('dispatching a batch of events on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  it('records a batch together, and an event that cannot be dispatched holds back none of the others', async () => {
    const e = buildEngine(t, MAPPING);
    await e.intake.accept(incidentEvent('a'.repeat(32), { cmdb_ci: 'web-01' }), 'webhook');
    await e.intake.accept(incidentEvent('b'.repeat(32)), 'webhook');
    await e.intake.accept(incidentEvent('c'.repeat(32), { cmdb_ci: 'web-02' }), 'webhook');

    await e.dispatch();
    expect((await e.onlyRun('INCaaaaaaa')).state).toBe('running');
    expect((await e.onlyRun('INCccccccc')).state).toBe('running');
    expect(await t.repos.runs.list({ ticket: 'INCbbbbbbb', limit: 10 })).toEqual([]);
    // Its params cannot render, now or ever: it ends rejected with the reason, not pending.
    expect(await t.repos.inbox.pending(10)).toEqual([]);
    const [rejected] = await t.repos.inbox.list({ state: 'rejected', limit: 10 });
    expect(rejected).toMatchObject({ number: 'INCbbbbbbb', note: expect.stringMatching(/^rule restart: .*cmdb_ci/) });
    // The rolled-back batch counted nothing: each run started is counted once.
    expect(await e.metrics.registry.getSingleMetricAsString('snowline_runs_started_total')).toContain(
      'snowline_runs_started_total{rule="restart"} 2',
    );
  });

  it('an event another instance took over meanwhile is neither ended nor acted on here; the others are, with their journal', async () => {
    const e = buildEngine(t, MAPPING);
    await e.intake.accept(incidentEvent('a'.repeat(32), { cmdb_ci: 'web-01' }), 'webhook');
    await e.intake.accept(incidentEvent('c'.repeat(32), { cmdb_ci: 'web-02' }), 'webhook');
    const claimed = await t.repos.inbox.claimPending('w1', e.clock.now, 10_000, 10);
    // This instance was slow: its claim on the second event ran out and another instance took it.
    const taken = claimed.find((event) => event.number === 'INCccccccc')!;
    await t.store.db.updateTable('inbox_events').set({ lease_owner: 'w2' }).where('seq', '=', taken.seq).execute();

    await e.dispatcher.dispatchAll(claimed);
    expect((await e.onlyRun('INCaaaaaaa')).state).toBe('running');
    expect(await t.repos.runs.list({ ticket: 'INCccccccc', limit: 10 })).toEqual([]);
    const [stillTaken] = await t.repos.inbox.list({ state: 'pending', limit: 10 });
    expect(stillTaken).toMatchObject({ number: 'INCccccccc', lease_owner: 'w2' });
    const journal = await t.repos.audit.list({ limit: 50 });
    expect(journal.map((entry) => [entry.kind, entry.subject])).toEqual([['rule.matched', 'INCaaaaaaa']]);
  });
});
