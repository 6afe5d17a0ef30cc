import type { ServiceNowReader } from '../../../src/engine/gates';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

// A step's `requires: - record: …` reads the ticket from ServiceNow just before the step starts.
const mapping = `
table: incident
rules:
  - id: restart-service
    description: Restart a service that is down, on a P1 ticket only
    owner: Linux Ops
    risk: medium
    condition: short_descriptionLIKEis down on
    steps:
      - name: restart
        use: fake.launch
        requires:
          - check: still a P1
            record: priority=1^active=true
        with: { host: web-01 }
    writeback:
      success:
        work_note: "restarted by job {{ steps.restart.job }}"
      refused:
        work_note: "not done: {{ error }}"
`;

/** The ticket as the instance shows it now; `down` makes every read fail. */
function instanceRecord(fields: Record<string, string>) {
  const state = { fields, down: false, reads: [] as (readonly string[] | undefined)[] };
  const reader: ServiceNowReader = {
    async getRecord(_table, _sysId, wanted) {
      state.reads.push(wanted);
      if (state.down) throw new Error('connect ECONNREFUSED');
      return { ...state.fields, active: { value: 'true', link: 'https://x/api/now/table/…' } as unknown as string };
    },
    query: async () => [],
  };
  return { state, reader };
}

describe.each(ENGINES)('milestone checks on the ticket on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  it('runs the step when the ticket as read now meets the check, and notes the verdict', async () => {
    const sn = instanceRecord({ priority: '1' });
    const e = buildEngine(t, mapping, { servicenow: sn.reader });
    await e.intake.accept(incidentEvent('a'.repeat(32)), 'webhook');
    await e.settle(60_000);
    expect((await e.onlyRun('INCaaaaaaa')).state).toBe('succeeded');
    expect(sn.state.reads).toEqual([['priority', 'active']]);
    const notes = e.instance.patches.map((p) => p.fields.work_notes ?? '');
    expect(notes[0]).toContain(
      'milestone checks passed; step restart starts.\n- still a P1: met (the ticket matches priority=1^active=true)',
    );
    expect(notes[1]).toContain('restarted by job 1');
  });

  it('refuses the step when the ticket no longer meets the check: nothing runs, the verdict and the refusal are noted', async () => {
    const sn = instanceRecord({ priority: '3' });
    const e = buildEngine(t, mapping, { servicenow: sn.reader });
    await e.intake.accept(incidentEvent('b'.repeat(32)), 'webhook');
    await e.settle(60_000);
    const run = await e.onlyRun('INCbbbbbbb');
    expect(run.state).toBe('refused');
    expect(e.backend.jobs.size).toBe(0);
    const notes = e.instance.patches.map((p) => p.fields.work_notes ?? '');
    expect(notes).toEqual([
      expect.stringContaining(
        'milestone check "still a P1" refused step restart; it does not run.\n- still a P1: NOT met (the ticket does not match priority=1 (has priority = "3"))',
      ),
      expect.stringContaining('not done: check "still a P1" not met'),
    ]);
    const audit = await t.repos.audit.list({ subject: 'INCbbbbbbb', limit: 50 });
    expect(audit.map((a) => a.kind)).toContain('check.refused');
  });

  it('waits, without refusing, while the ticket cannot be read', async () => {
    const sn = instanceRecord({ priority: '1' });
    sn.state.down = true;
    const e = buildEngine(t, mapping, { servicenow: sn.reader });
    await e.intake.accept(incidentEvent('c'.repeat(32)), 'webhook');
    await e.settle(30_000);
    const waiting = await e.onlyRun('INCccccccc');
    expect(waiting.state).toBe('running');
    expect(waiting.steps[0]!.waiting_for).toBe('milestone checks: could not read INCccccccc: connect ECONNREFUSED');
    sn.state.down = false;
    await e.settle(120_000);
    expect((await e.onlyRun('INCccccccc')).state).toBe('succeeded');
  });
});
