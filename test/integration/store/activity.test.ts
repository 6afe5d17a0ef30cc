import { changeBetween } from '../../../src/api/live-changes';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

describe.each(ENGINES)('what the live view reads of the store, on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  const createRun = (id: string, state: string) =>
    t.store.db.transaction().execute((trx) =>
      t.repos.runs.create(
        trx,
        {
          id,
          rule_id: 'restart',
          rule_version: 'v1',
          table_name: 'incident',
          sys_id: 'a'.repeat(32),
          ticket_number: 'INC0010001',
          event_key: `incident:${id}:0`,
          state,
          context: '{}',
          correlation_id: 'c',
          created_at: 1,
          updated_at: 1,
          finished_at: null,
          concurrency_key: null,
        },
        [
          {
            id: `${id}-s`,
            run_id: id,
            idx: 0,
            name: 'restart',
            connector: 'ansible',
            action: 'launch_job_template',
            params: '{}',
            state: 'pending',
            attempt: 0,
            idempotency_key: `${id}:restart`,
            external_ref: null,
            result: null,
            error: null,
            next_at: 0,
            lease_owner: null,
            lease_until: null,
            started_at: null,
            finished_at: null,
            gates: '[]',
            waiting_for: null,
            stage: 0,
            flow: '{}',
          },
        ],
      ),
    );

  it("sees a new run, a step's progress and a run's end, and nothing when nothing moved", async () => {
    const empty = await t.repos.activity.snapshot();
    await createRun('r1', 'running');
    const started = await t.repos.activity.snapshot();
    expect(changeBetween(empty, started)).toEqual({ runs: ['r1'], counts: true });
    expect(changeBetween(started, await t.repos.activity.snapshot())).toBeUndefined();

    await t.repos.runs.updateSteps(t.store.db, ['r1-s'], { state: 'waiting', attempt: 1, started_at: 5 });
    const stepped = await t.repos.activity.snapshot();
    expect(changeBetween(started, stepped)).toEqual({ runs: ['r1'], counts: false });

    await t.repos.runs.setRunState(t.store.db, 'r1', 'succeeded', 9, true);
    expect(changeBetween(stepped, await t.repos.activity.snapshot())).toEqual({ runs: ['r1'], counts: true });
  });
});
