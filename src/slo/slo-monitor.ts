import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { ObservabilitySettings } from '../observability/observability-config';
import type { RunHistoryRepository } from '../store/run-history.repository';
import {
  repeatedFailures,
  sloConditions,
  stepAnomalies,
  webhookSilence,
  type AlertCondition,
  type AlertKind,
} from './alert-conditions';
import { ingestSources, runOutcomes, stepSamples } from './alert-history';
import type { AlertRaiser } from './alert-raiser';
import type { SloStatus } from './burn-rate';
import { evaluateSlos } from './slo-history';

/** The kinds the scheduled evaluation owns (Alertmanager's are opened and resolved by its receiver). */
const EVALUATED: readonly AlertKind[] = ['slo_burn', 'step_anomaly', 'repeated_failure', 'webhook_silence'];

export interface SloMonitorDeps {
  history: RunHistoryRepository;
  settings: ObservabilitySettings;
  /** Ids of the rules loaded now (each has an SLO even before it ran). */
  ruleIds: () => Iterable<string>;
  raiser: AlertRaiser;
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
}

/** SLOs on demand (the API) and, on the leader's schedule, the alerts they and the other conditions raise. */
export function createSloMonitor(deps: SloMonitorDeps) {
  const now = deps.now ?? Date.now;
  const { history, settings, metrics } = deps;

  async function slos(): Promise<SloStatus[]> {
    const statuses = await evaluateSlos(history, settings.slo, deps.ruleIds(), now());
    for (const s of statuses)
      for (const w of s.windows) {
        metrics.sloBurnRate.set({ slo: s.id, window: `${w.longMinutes}m` }, w.longBurnRate);
        metrics.sloBurnRate.set({ slo: s.id, window: `${w.shortMinutes}m` }, w.shortBurnRate);
      }
    return statuses;
  }

  /** Every condition that holds now. */
  async function holding(): Promise<AlertCondition[]> {
    const at = now();
    const { anomaly, repeatedFailures: failures, webhookSilence: silence } = settings.alerts;
    const sources = await ingestSources(history, silence, at);
    return [
      ...sloConditions(await slos()),
      ...stepAnomalies(await stepSamples(history, anomaly, at), anomaly),
      ...repeatedFailures(await runOutcomes(history, failures, at), failures),
      ...(sources.webhooksEverSeen ? webhookSilence(sources, silence) : []),
    ];
  }

  return {
    slos,
    /** The leader's job: opens, updates and resolves the alerts in ServiceNow. */
    async evaluate(): Promise<void> {
      const conditions = await holding();
      const changed = await deps.raiser.reconcile(EVALUATED, conditions, settings.alerts.target);
      for (const kind of EVALUATED) metrics.alertsOpen.set({ kind }, conditions.filter((c) => c.kind === kind).length);
      if (changed.opened + changed.updated + changed.resolved > 0)
        deps.logger.info('alerts evaluated', { holding: conditions.length, ...changed });
    },
  };
}
export type SloMonitor = ReturnType<typeof createSloMonitor>;
