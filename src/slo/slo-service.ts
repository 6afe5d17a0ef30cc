import type { ServiceNowClient } from '../../connectors/servicenow/client';
import { asInt } from '../../connectors/servicenow/schemas';
import { ConnectorError } from '../errors';
import { everySeconds } from '../engine/scheduled-jobs';
import type { RecordTarget } from '../engine/outbox-sender';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { ObservabilitySettings } from '../observability/observability-config';
import type { Repositories, Store } from '../store';
import { createAlertRaiser } from './alert-raiser';
import { createSloMonitor } from './slo-monitor';

/** The SLO monitor, the alert raisers and the leader's evaluation job, built from the configuration. */
export function sloService(deps: {
  settings: ObservabilitySettings;
  store: Store;
  repos: Repositories;
  logger: Logger;
  metrics: Metrics;
  rules: () => { byTable: Map<string, Array<{ definition: { id: string } }>> };
}) {
  const { settings, store, repos, logger, metrics } = deps;
  const records = { assignmentGroup: settings.alerts.assignmentGroup };
  const raiser = createAlertRaiser({
    store,
    repos,
    logger,
    records,
    updateEveryMs: settings.alerts.updateEverySeconds * 1000,
  });
  const monitor = createSloMonitor({
    history: repos.runHistory,
    settings,
    raiser,
    metrics,
    logger,
    ruleIds: () => [...deps.rules().byTable.values()].flat().map((rule) => rule.definition.id),
  });
  return {
    monitor,
    /** Alertmanager's groups: updated whenever the set of firing alerts changes. */
    alertmanagerRaiser: createAlertRaiser({ store, repos, logger, records, updateEveryMs: 0 }),
    jobs: settings.alerts.enabled
      ? [{ name: 'slo-alerts', cron: everySeconds(settings.alerts.evaluateSeconds), run: () => monitor.evaluate() }]
      : [],
  };
}

/** Inserts through the Table API (alerts raised in ServiceNow). */
export function recordTarget(client: ServiceNowClient): RecordTarget {
  return {
    async insert(table, fields) {
      const record = await client.insert(table, fields, { fields: ['sys_id', 'sys_mod_count'] });
      return { modCount: asInt(record.sys_mod_count) ?? 0 };
    },
    async exists(table, sysId) {
      try {
        await client.getRecord(table, sysId, { fields: ['sys_id'] });
        return true;
      } catch (err) {
        if (err instanceof ConnectorError && err.code.endsWith('not_found')) return false;
        throw err;
      }
    },
  };
}
