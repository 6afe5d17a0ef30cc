import { capturingLogger } from '../../helpers/capturing-logger';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

/** Every log line about a run's write-back carries the run's correlation id, as its other lines do. */
const MAPPING = `table: incident
rules:
  - id: note-it
    description: Remediate and note
    owner: Linux Ops
    risk: low
    condition: short_descriptionLIKEis down on
    steps:
      - { name: remediate, use: fake.launch, with: { host: "{{ ticket.cmdb_ci }}" } }
    writeback:
      success:
        work_note: "done by {{ rule.id }}"
`;

describe.each(ENGINES)('write-back log lines on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => (t = await openTestStore(engine)));
  afterEach(() => t.close());

  it("carry the run's correlation id", async () => {
    const { logger, lines } = capturingLogger();
    const e = buildEngine(t, MAPPING, { logger });
    await e.intake.accept(incidentEvent('c'.repeat(32), { cmdb_ci: 'web-01' }), 'webhook');
    await e.settle();
    const run = await e.onlyRun('INCccccccc');
    expect(run.state).toBe('succeeded');
    const writeBack = lines.filter((line) => String(line.message).startsWith('write-back'));
    expect(writeBack.map((line) => line.message)).toEqual(['write-back sent']);
    expect(writeBack[0]).toMatchObject({ runId: run.id, correlationId: run.correlation_id });
    expect(run.correlation_id).toEqual(expect.any(String));
  });
});
