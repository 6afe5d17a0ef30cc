import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Snowline's Prometheus metrics, on a registry of their own (one per app instance). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'snowline_process_' });
  return {
    registry,
    eventsReceived: new Counter({
      name: 'snowline_events_received_total',
      help: 'Ticket events offered to the inbox, by source and result',
      labelNames: ['source', 'result'],
      registers: [registry],
    }),
    eventsDispatched: new Counter({
      name: 'snowline_events_dispatched_total',
      help: 'Inbox events processed, by result (matched, unmatched, own_write, superseded, rejected, retry)',
      labelNames: ['result'],
      registers: [registry],
    }),
    eventsRejected: new Counter({
      name: 'snowline_events_rejected_total',
      help: 'Inbox events ended rejected (they wait for an operator: `snowline events list --state rejected`), by table and error code',
      labelNames: ['table', 'code'],
      registers: [registry],
    }),
    runEvents: new Counter({
      name: 'snowline_run_events_total',
      help: 'Run events emitted (run.started, step.retrying, writeback.delivered, …), by event type: each one also journaled and logged from the same event',
      labelNames: ['event'],
      registers: [registry],
    }),
    runsStarted: new Counter({
      name: 'snowline_runs_started_total',
      help: 'Runs started, by rule',
      labelNames: ['rule'],
      registers: [registry],
    }),
    runsFinished: new Counter({
      name: 'snowline_runs_finished_total',
      help: 'Runs finished, by rule and outcome (succeeded, failed, refused, cancelled, writeback_failed)',
      labelNames: ['rule', 'outcome'],
      registers: [registry],
    }),
    stepDuration: new Histogram({
      name: 'snowline_step_duration_seconds',
      help: 'From a step start to its end, by connector action and outcome',
      labelNames: ['action', 'outcome'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
      registers: [registry],
    }),
    stepRetries: new Counter({
      name: 'snowline_step_retries_total',
      help: 'Step attempts that will be retried, by action and failure class',
      labelNames: ['action', 'failure'],
      registers: [registry],
    }),
    writebacks: new Counter({
      name: 'snowline_writebacks_total',
      help: 'Write-backs to ServiceNow, by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    outboxDepth: new Gauge({
      name: 'snowline_outbox_depth',
      help: 'Write-backs waiting to be sent',
      registers: [registry],
    }),
    rateLimitsDegraded: new Gauge({
      name: 'snowline_rate_limits_degraded',
      help: '1 while Redis is configured but unusable and each instance applies the rate limits on its own',
      registers: [registry],
    }),
    runsQueued: new Gauge({
      name: 'snowline_runs_queued',
      help: 'Runs waiting for a concurrency slot (a busy key, max_runs or engine.maxActiveRuns)',
      registers: [registry],
    }),
    ruleReloads: new Counter({
      name: 'snowline_rule_reloads_total',
      help: 'Attempts to load changed mapping tables, by result (applied, unchanged, invalid)',
      labelNames: ['result'],
      registers: [registry],
    }),
    ruleSetInvalid: new Gauge({
      name: 'snowline_rule_set_invalid',
      help: '1 while the mapping tables on disk fail validation (the previous version keeps running)',
      registers: [registry],
    }),
    cmdbSyncRuns: new Counter({
      name: 'snowline_cmdb_sync_runs_total',
      help: 'Scheduled CMDB syncs, by sync and outcome (ok, with_errors, failed)',
      labelNames: ['sync', 'outcome'],
      registers: [registry],
    }),
    cmdbSyncCis: new Counter({
      name: 'snowline_cmdb_sync_cis_total',
      help: 'CIs handled by scheduled CMDB syncs, by sync and result (inserted, updated, unchanged, stale, errors)',
      labelNames: ['sync', 'result'],
      registers: [registry],
    }),
    ...serviceLevelIndicators(registry),
    pollRecords: new Counter({
      name: 'snowline_poll_records_total',
      help: 'Records read by the Table API poller, by table and result (new, known)',
      labelNames: ['table', 'result'],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The SLIs (docs/observability.md): per rule where a rule is concerned, so the SLOs' recording rules
 * in deploy/prometheus/ can compute the same ratios as `GET /api/v1/slo` does from the store.
 */
function serviceLevelIndicators(registry: Registry) {
  return {
    runDuration: new Histogram({
      name: 'snowline_run_duration_seconds',
      help: 'From a run start (its event dispatched) to its end, by rule and outcome',
      labelNames: ['rule', 'outcome'],
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers: [registry],
    }),
    eventToFirstStep: new Histogram({
      name: 'snowline_event_to_first_step_seconds',
      help: 'From the run start (its event dispatched) to its first step starting, by rule',
      labelNames: ['rule'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    ruleStepDuration: new Histogram({
      name: 'snowline_rule_step_duration_seconds',
      help: "From a step start to its end, by rule, step name and outcome (the anomaly alert's history is in the store)",
      labelNames: ['rule', 'step', 'outcome'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
      registers: [registry],
    }),
    writebackLag: new Histogram({
      name: 'snowline_writeback_lag_seconds',
      help: 'From a write-back queued to it settled in ServiceNow, by result (sent, failed)',
      labelNames: ['result'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers: [registry],
    }),
    sloBurnRate: new Gauge({
      name: 'snowline_slo_burn_rate',
      help: 'Error-budget burn rate of an SLO over a window, computed from the store (1 = spending the budget exactly over the period)',
      labelNames: ['slo', 'window'],
      registers: [registry],
    }),
    alertsOpen: new Gauge({
      name: 'snowline_alerts_open',
      help: 'Alerts Snowline holds open in ServiceNow, by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
  };
}
