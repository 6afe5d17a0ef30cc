import { ServiceNowClient } from '../../../connectors/servicenow/client';
import { silentLogger } from '../../../src/observability/logger';
import type { AlertCondition } from '../../../src/slo/alert-conditions';
import { createAlertRaiser } from '../../../src/slo/alert-raiser';
import { recordTarget } from '../../../src/slo/slo-service';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { startSandbox, type RunningSandbox } from '../sandbox/sandbox-harness';

/**
 * Alerts raised as Event Management events (`alerts.target: em_event`): every event of one alert
 * shares its message_key, the last one clears it; the sandbox instance takes them like an instance
 * with Event Management does.
 */
const condition: AlertCondition = {
  key: 'anomaly:restart-service-when-down:restart',
  kind: 'step_anomaly',
  summary: 'Step restart of rule restart-service-when-down runs much slower than its history',
  severity: 'ticket',
  detail: { rule: 'restart-service-when-down', step: 'restart', latestSeconds: [42, 45] },
};

describe.each(ENGINES)('alerts as em_event records (%s)', (engine) => {
  let t: TestStore;
  let running: RunningSandbox;
  let client: ServiceNowClient;
  let now = 1_000_000;

  beforeAll(async () => {
    t = await openTestStore(engine);
    running = await startSandbox();
    client = new ServiceNowClient({ url: running.url, auth: { type: 'basic', username: 'admin', password: 'admin' } });
  });
  afterAll(async () => {
    await client.close();
    await running.sandbox.close();
    await t.close();
  });

  /** Sends what the outbox holds, in order, as the outbox sender would. */
  async function deliver(): Promise<void> {
    const target = recordTarget(client);
    const pending = await t.store.db
      .selectFrom('outbox')
      .selectAll()
      .where('state', '=', 'pending')
      .orderBy('created_at')
      .execute();
    for (const entry of pending) {
      expect(entry.operation).toBe('insert');
      await target.insert(entry.table_name, { ...JSON.parse(entry.fields), sys_id: entry.sys_id });
      await t.store.db.updateTable('outbox').set({ state: 'sent' }).where('id', '=', entry.id).execute();
    }
  }

  it('opens, updates and clears one alert by message_key, once each', async () => {
    const raiser = createAlertRaiser({
      store: t.store,
      repos: t.repos,
      logger: silentLogger(),
      records: { assignmentGroup: 'Linux Ops' },
      updateEveryMs: 0,
      now: () => now,
    });
    expect(await raiser.reconcile(['step_anomaly'], [condition], 'em_event')).toEqual({
      opened: 1,
      updated: 0,
      resolved: 0,
    });
    expect(await raiser.reconcile(['step_anomaly'], [condition], 'em_event')).toEqual({
      opened: 0,
      updated: 0,
      resolved: 0,
    });
    now += 1000;
    const worse = { ...condition, detail: { ...condition.detail, latestSeconds: [60, 61] } };
    expect(await raiser.reconcile(['step_anomaly'], [worse], 'em_event')).toEqual({
      opened: 0,
      updated: 1,
      resolved: 0,
    });
    now += 1000;
    expect(await raiser.reconcile(['step_anomaly'], [], 'em_event')).toEqual({ opened: 0, updated: 0, resolved: 1 });
    await deliver();

    const { data } = await running.snow.get('/api/now/table/em_event', {
      params: {
        sysparm_query: `message_key=${condition.key}`,
        sysparm_fields: 'severity,resolution_state,source,additional_info',
      },
    });
    // Created within one second: compared without their order.
    const events = data.result as Array<Record<string, string>>;
    expect(events.map((e) => `${e.severity} ${e.resolution_state}`).sort()).toEqual(['0 Closing', '3 New', '3 New']);
    expect(events.every((e) => e.source === 'Snowline')).toBe(true);
    expect(JSON.parse(events.find((e) => e.severity === '3')!.additional_info!)).toMatchObject({
      assignment_group: 'Linux Ops',
      step: 'restart',
    });
    expect(await t.repos.alerts.listOpen()).toEqual([]);
  });
});
