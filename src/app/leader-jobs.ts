import { cmdbSyncJobs } from '../../connectors/cmdb';
import type { Config } from '../config';
import { soleInstance, type Leadership } from '../engine/leadership';
import { createPostgresLeadership } from '../engine/postgres-leadership';
import { everySeconds, scheduleLeaderJobs, type ScheduledJob } from '../engine/scheduled-jobs';
import { createRuleSchedules } from '../ingest/rule-schedules';
import { createScheduledQueries } from '../ingest/scheduled-query';
import type { RuleReloader } from '../mappings/rule-reloader';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Repositories } from '../store';
import { postgresConnection } from '../store/database';
import type { Clients } from './clients';
import type { EngineParts } from './engine-parts';
import { retentionFromConfig } from './retention';

/** SQLite serves one process, its own leader; on PostgreSQL the instances elect one by advisory lock. */
export async function leadershipOf(config: Config, logger: Logger): Promise<Leadership> {
  if (!config.store.postgresUrl) return soleInstance;
  const leadership = createPostgresLeadership({
    connection: postgresConnection(config.store.postgresUrl, config.store.postgresSchema),
    checkMs: config.engine.leaderCheckMs,
    logger,
  });
  await leadership.start();
  return leadership;
}

/** What the leader's jobs run against. */
export interface LeaderJobInputs {
  repos: Repositories;
  rules: RuleReloader;
  clients: Clients;
  parts: EngineParts;
  leadership: Leadership;
  anchorAudit: () => Promise<unknown>;
  sloJobs: ScheduledJob[];
  logger: Logger;
  metrics: Metrics;
}

/**
 * Starts the jobs only the leader runs: the poller, the privilege release sweep, the audit anchor,
 * retention, CMDB syncs, SLO alerts, and the scheduled queries of the rules (a reload re-arms them).
 */
export function startLeaderJobs(config: Config, inputs: LeaderJobInputs) {
  const { repos, rules, leadership, anchorAudit, logger, metrics } = inputs;
  const { snClient, controllerClient, httpEndpoints } = inputs.clients;
  const { poller, privilege, intake } = inputs.parts;
  const cmdbSyncs = config.connectors.cmdb
    ? cmdbSyncJobs(config.connectors.cmdb, {
        client: snClient,
        sources: { controller: controllerClient, endpoints: httpEndpoints ?? new Map() },
        logger,
        metrics,
      })
    : [];
  const scheduled = scheduleLeaderJobs(
    [
      { name: 'servicenow-poller', cron: everySeconds(config.servicenow.pollSeconds), run: () => poller.pollOnce() },
      {
        name: 'privilege-release-sweep',
        cron: everySeconds(config.privilege.releaseSweepSeconds),
        run: () => privilege.sweep(),
      },
      { name: 'audit-anchor', cron: everySeconds(config.security.auditAnchorSeconds), run: () => anchorAudit() },
      {
        name: 'retention',
        cron: config.retention.schedule,
        run: () => retentionFromConfig(config, repos, logger).run(),
      },
      ...cmdbSyncs,
      ...inputs.sloJobs,
    ],
    leadership,
    logger,
  );
  // Scheduled rules query on the leader, like the poller; a reload re-arms them.
  const ruleSchedules = createRuleSchedules({
    rules: rules.current,
    leadership,
    runTick: createScheduledQueries({ client: snClient, intake, logger }),
    logger,
  });
  ruleSchedules.sync();
  rules.onApplied(() => ruleSchedules.sync());
  return { scheduled, ruleSchedules };
}
