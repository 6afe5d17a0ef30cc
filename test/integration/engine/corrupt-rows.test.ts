import { toRunView } from '../../../src/api/run-view';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

/**
 * A JSON column that is not what its schema says (altered by hand, written by a broken build) is a
 * permanent error for its record, named by table, column and row: the record ends, explained, and
 * nothing is tried again for ever.
 */
jest.setTimeout(60_000);

const MAPPING = `
table: incident
rules:
  - id: restart
    description: Restart a service reported down
    owner: Linux Ops
    risk: low
    on: [inserted]
    condition: short_descriptionLIKEis down on
    steps:
      - { name: restart, use: fake.launch, with: { host: web-01 } }
    writeback:
      success: { work_note: "restarted", fields: { state: "6" } }
`;

const down = (sysId: string) => incidentEvent(sysId, { short_description: 'nginx is down on web-01' });

describe.each(ENGINES)('a corrupt JSON column, on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  it('rejects an inbox event whose payload is not an event, naming the row', async () => {
    const e = buildEngine(t, MAPPING);
    await e.intake.accept(down('a'.repeat(32)), 'webhook');
    const [event] = await t.repos.inbox.pending(10);
    await t.store.db.updateTable('inbox_events').set({ payload: '{"event":' }).where('seq', '=', event!.seq).execute();
    await e.settle();
    const [rejected] = await t.repos.inbox.list({ state: 'rejected', limit: 10 });
    expect(rejected!.note).toContain(`inbox_events.payload of inbox_events row ${event!.seq} is corrupt: not JSON`);
    expect(await t.repos.runs.list({ limit: 10 })).toEqual([]);
  });

  it('fails the step of a run whose context does not fit its schema, and ends the run', async () => {
    const e = buildEngine(t, MAPPING);
    await e.intake.accept(down('b'.repeat(32)), 'webhook');
    await e.dispatch();
    const [run] = await t.repos.runs.list({ limit: 10 });
    await t.store.db.updateTable('runs').set({ context: '{"ticket":[]}' }).where('id', '=', run!.id).execute();
    await e.settle();
    const ended = (await t.repos.runs.get(run!.id))!;
    expect(ended.state).toBe('failed');
    expect(ended.steps[0]).toMatchObject({
      state: 'failed',
      error: expect.stringContaining(`runs.context of runs row ${run!.id} is corrupt: ticket:`),
    });
  });

  it.each(['flow', 'gates'] as const)(
    'fails a step whose %s column is corrupt at once, naming the column, and ends the run failed',
    async (column) => {
      const e = buildEngine(t, MAPPING);
      await e.intake.accept(down('c'.repeat(32)), 'webhook');
      await e.dispatch();
      const [run] = await t.repos.runs.list({ limit: 10 });
      const [step] = run!.steps;
      await t.store.db
        .updateTable('steps')
        .set({ [column]: '{"join":' })
        .where('id', '=', step!.id)
        .execute();
      // Within one lease: a step that is only given up when its lease runs out would still be pending here.
      await e.settle(5_000);
      const ended = (await t.repos.runs.get(run!.id))!;
      expect(ended.state).toBe('failed');
      expect(ended.steps[0]).toMatchObject({
        state: 'failed',
        error: expect.stringContaining(`steps.${column} of steps row ${step!.id} is corrupt: not JSON`),
      });
      expect(e.backend.jobs.size).toBe(0);
      // The operator still sees the run, and the step's error names the column.
      const view = toRunView(ended);
      expect(view.steps[0]).toMatchObject({ state: 'failed', gates: [], compensates: null });
    },
  );
});
