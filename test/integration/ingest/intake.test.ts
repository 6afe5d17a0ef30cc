import type { TicketEvent } from '../../../src/engine/event.schema';
import { createIntake } from '../../../src/ingest/intake';
import { createMetrics } from '../../../src/observability/metrics';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

const event = (n: number, modCount = 0): TicketEvent => {
  const sysId = n.toString(16).padStart(32, '0');
  return {
    event: modCount === 0 ? 'inserted' : 'updated',
    table: 'incident',
    sys_id: sysId,
    number: `INC${String(n).padStart(7, '0')}`,
    sys_mod_count: modCount,
    sys_updated_on: '2026-11-28 09:00:00',
    sys_updated_by: 'abel.tuter',
    changed_fields: [],
    record: { sys_id: sysId, short_description: `disk full on db-${n}` },
  };
};

describe.each(ENGINES)('intake on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  it('commits events arriving together and tells each caller whether its record version was new', async () => {
    let wakes = 0;
    const intake = createIntake({ inbox: t.repos.inbox, metrics: createMetrics(), onAccepted: () => wakes++ });
    // 50 distinct versions, each delivered twice at once (webhook and poller racing), plus a later version.
    const deliveries = Array.from({ length: 50 }, (_, i) => [event(i), event(i)])
      .flat()
      .concat([event(7, 1)]);
    const answers = await Promise.all(deliveries.map((e, i) => intake.accept(e, i % 2 === 0 ? 'webhook' : 'poll')));

    expect(answers.filter((a) => !a.duplicate)).toHaveLength(51);
    for (let i = 0; i < 50; i++)
      expect([answers[2 * i]!.duplicate, answers[2 * i + 1]!.duplicate].sort()).toEqual([false, true]);
    expect(wakes).toBe(51);
    const stored = await t.repos.inbox.pending(200);
    expect(stored).toHaveLength(51);
    expect(new Set(stored.map((e) => e.event_key)).size).toBe(51);
  });
});
