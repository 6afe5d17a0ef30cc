import { ServiceNowClient } from '../../../connectors/servicenow/client';
import { rawValue } from '../../../connectors/servicenow/schemas';
import { createIntake } from '../../../src/ingest/intake';
import { createRuleSchedules, type RuleSchedule } from '../../../src/ingest/rule-schedules';
import { createScheduledQueries } from '../../../src/ingest/scheduled-query';
import { soleInstance } from '../../../src/engine/leadership';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { createSandbox, type Sandbox } from '../../../sandbox/server';
import { openStore, repositories } from '../../../src/store';
import { buildEngine } from '../engine/harness';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

/**
 * A rule on a schedule: each hour, incidents On Hold for a week (asked of the sandbox's Table API
 * with ServiceNow's relative date function) get a run each, once per tick — whichever instance,
 * restart or leader change offers the tick again.
 */
const MAPPING = `table: incident
rules:
  - id: chase-on-hold
    description: Chase incidents on hold for a week
    owner: Service Desk
    risk: low
    on:
      - schedule: { cron: "0 * * * *", query: "state=3^sys_updated_on<javascript:gs.daysAgoStart(7)" }
    steps:
      - name: chase
        use: fake.launch
        with: { host: "{{ ticket.number }}" }
    writeback:
      success: { work_note: "chased {{ ticket.number }}" }
`;

const DAY_MS = 86_400_000;
const NOW = Date.parse('2026-12-04T10:00:00Z');

describe.each(ENGINES)('scheduled rules on %s', (engine) => {
  let t: TestStore;
  let sandbox: Sandbox;
  let client: ServiceNowClient;
  const clock = { now: NOW };

  beforeEach(async () => {
    t = await openTestStore(engine);
    sandbox = createSandbox({
      user: 'admin',
      password: 'admin',
      awxToken: 'sandbox',
      webhookSecret: 'unused',
      webhooksEnabled: false,
      jobDurationMs: 100,
      now: () => new Date(clock.now),
    });
    const { url } = await sandbox.listen(0, '127.0.0.1');
    client = new ServiceNowClient({ url, auth: { type: 'basic', username: 'admin', password: 'admin' } });
  });
  afterEach(async () => {
    await client.close();
    await sandbox.close();
    await t.close();
  });

  /** An incident last updated `daysAgo` days before NOW, in `state`. */
  async function incident(state: string, daysAgo: number): Promise<string> {
    clock.now = NOW - daysAgo * DAY_MS;
    const created = await client.insert(
      'incident',
      { short_description: `state ${state}, ${daysAgo} days`, state },
      { fields: ['number'] },
    );
    clock.now = NOW;
    return String(rawValue(created.number));
  }

  it('runs once per tick for each incident on hold for a week, however often the tick is offered', async () => {
    const onHoldLong = [await incident('3', 10), await incident('3', 8)];
    await incident('3', 2); // on hold, but only for two days
    await incident('2', 10); // old, but in progress
    const e = buildEngine(t, MAPPING);
    const queries = createScheduledQueries({ client, intake: e.intake, logger: silentLogger(), pageSize: 1 });
    const schedules = createRuleSchedules({
      rules: () => e.ruleSet,
      leadership: soleInstance,
      runTick: queries,
      logger: silentLogger(),
    });
    const [schedule] = schedules.schedules() as [RuleSchedule];
    expect(schedule).toMatchObject({ rule: 'chase-on-hold', table: 'incident' });

    const firstTick = new Date(NOW);
    expect(await schedules.tick(schedule, firstTick)).toBe(2);
    await e.settle();
    expect([...e.backend.jobs.values()].map((j) => j.host).sort()).toEqual([...onHoldLong].sort());
    for (const number of onHoldLong) {
      const run = await e.onlyRun(number);
      expect(run).toMatchObject({ rule_id: 'chase-on-hold', state: 'succeeded' });
    }
    expect(e.instance.patches.map((p) => p.fields.work_notes?.split('\n')[0]).sort()).toEqual(
      onHoldLong.map((n) => `chased ${n}`).sort(),
    );

    // The same tick again — an instance that took over as leader, or this one after a restart — adds nothing.
    expect(await schedules.tick(schedule, new Date(NOW + 400))).toBe(0);
    const second = await openStore(t.options);
    try {
      const intake = createIntake({
        inbox: repositories(second).inbox,
        metrics: createMetrics(),
        onAccepted: () => undefined,
      });
      const restarted = createScheduledQueries({ client, intake, logger: silentLogger() });
      expect(await restarted({ ...schedule, at: firstTick })).toBe(0);
    } finally {
      await second.close();
    }
    await e.settle();
    expect(e.backend.jobs.size).toBe(2);

    // An instance that does not lead queries nothing.
    const follower = createRuleSchedules({
      rules: () => e.ruleSet,
      leadership: { isLeader: () => false, stop: async () => undefined },
      runTick: queries,
      logger: silentLogger(),
    });
    expect(await follower.tick(schedule, new Date(NOW + 3_600_000))).toBe(0);

    // The next tick finds both again (still on hold): one more run each.
    clock.now = NOW + 3_600_000;
    expect(await schedules.tick(schedule, new Date(NOW + 3_600_000))).toBe(2);
    await e.settle();
    expect(e.backend.jobs.size).toBe(4);
    for (const number of onHoldLong) expect(await t.repos.runs.list({ ticket: number, limit: 10 })).toHaveLength(2);
  });
});
