import type { ServiceNowClient } from '../../connectors/servicenow/client';
import { changeManagement } from '../change/change-lifecycle';
import { serviceNowChangeSource } from '../change/change-source';
import { freezeMs, type Config } from '../config';
import type { ConnectorSet } from '../engine/connector-set';
import { connectorSlots } from '../engine/connector-slots';
import { createDispatcher } from '../engine/dispatcher';
import { createEngine } from '../engine/engine';
import { combineHooks, failureHooks } from '../engine/failure-hooks';
import { createWritebackCompletion } from '../engine/writeback-completion';
import { createCircuitBreakers } from '../engine/circuit-breakers';
import { createGateRegistry, manualApprovalGate, type ServiceNowReader } from '../engine/gates';
import { createOutboxSender } from '../engine/outbox-sender';
import { createRunAdmission } from '../engine/run-admission';
import { createRunControl } from '../engine/run-control';
import { createRunEventEmitter } from '../engine/run-event-emitter';
import { processSecretBox } from '../engine/run-secrets';
import { createStepWorker } from '../engine/step-worker';
import { serviceNowLookups } from '../engine/ticket-lookups';
import { createIntake } from '../ingest/intake';
import { createPoller } from '../ingest/poller';
import type { RuleReloader } from '../mappings/rule-reloader';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { createPrivilegeBroker } from '../security/privilege-broker';
import { createPrivilegeProviders } from '../security/privilege-provider';
import { secretBoxFromConfig } from '../security/secret-box';
import type { Repositories, Store } from '../store';
import { workSignalsFor } from '../store/work-signals';
import { serviceNowWritebackTarget } from './writeback-target';

/** What the engine is built from: the store, the rules, and the clients of the outside world. */
export interface EngineInputs {
  store: Store;
  repos: Repositories;
  rules: RuleReloader;
  integrationUser: string;
  snClient: ServiceNowClient;
  connectors: ConnectorSet;
  logger: Logger;
  metrics: Metrics;
  owner: string;
}

/**
 * The engine and its parts (dispatcher, step worker, outbox sender, gates, breakers, privilege
 * broker), with the intake and poller that feed it. Builds them; starts none.
 */
export function buildEngine(config: Config, inputs: EngineInputs) {
  const { store, repos, rules, integrationUser, snClient, connectors, logger, metrics, owner } = inputs;
  const retry = config.engine.retry;
  const target = serviceNowWritebackTarget(snClient, {
    batch: config.servicenow.batch,
    quotaMs: config.servicenow.quotaMs,
    logger,
  });
  const lookups = serviceNowLookups(snClient, { groupCacheMs: config.mappings.groupCacheSeconds * 1000 });
  const secretBox = secretBoxFromConfig(config.secrets) ?? processSecretBox();
  const usesSecretParams = [...rules.current().byTable.values()]
    .flat()
    .some((rule) => rule.definition.secret_params.length > 0);
  if (!config.secrets.key && usesSecretParams)
    logger.warn(
      'no secrets.key (env SNOWLINE_SECRET_KEY): secret params of runs are sealed under a key that lives as long as this process; a run interrupted by a restart cannot open them',
    );
  const dispatcher = createDispatcher({
    store,
    repos,
    rules: rules.current,
    integrationUser,
    lookups,
    logger,
    metrics,
    maxActiveRuns: config.engine.maxActiveRuns,
    secretBox,
    eventRetry: {
      baseDelayMs: retry.baseDelayMs,
      maxDelayMs: retry.maxDelayMs,
      deadlineMs: config.engine.eventRetryDeadlineSeconds * 1000,
    },
  });
  const change = changeManagement({
    store,
    repos,
    source: serviceNowChangeSource(snClient),
    freezes: config.change.freezes.map((f) => ({ name: f.name, startMs: freezeMs(f.start), endMs: freezeMs(f.end) })),
    blackoutSchedules: config.change.blackoutSchedules,
    recheckMs: config.change.recheckSeconds * 1000,
    attachmentMaxBytes: config.servicenow.attachmentMaxBytes,
    events: createRunEventEmitter({ store, repos, logger, metrics }),
  });
  // Gates steps may name: the built-in approval and change management's `change` gate.
  const gates = createGateRegistry([manualApprovalGate(repos.approvals), change.gate]);
  const servicenowReader: ServiceNowReader = {
    getRecord: (table, sysId, fields) => snClient.getRecord(table, sysId, { fields }),
    query: async (table, query, options = {}) =>
      (await snClient.query(table, { query, fields: options.fields, limit: options.limit })).rows,
  };
  const breakers = createCircuitBreakers({
    settings: (name) => config.engine.breakers[name] ?? connectors.defaults(name)?.breaker,
    classify: connectors.classify,
    metrics,
    logger,
  });
  const privilege = createPrivilegeBroker({
    store,
    repos,
    providers: createPrivilegeProviders(config.privilege),
    credentials: config.privilege.credentials,
    leaseSeconds: config.privilege.leaseSeconds,
    logger,
  });
  // Work saved to fall due again shortly (a job to check on, a retry) wakes the engine's loop then
  // (called once the engine runs, so after it is built below).
  const stepWorker = createStepWorker({
    store,
    repos,
    connectors,
    logger,
    metrics,
    owner,
    leaseMs: config.engine.leaseMs,
    retry,
    retryDeadlineMs: retry.deadlineSeconds * 1000,
    gates,
    servicenow: servicenowReader,
    gateRecheckMs: config.engine.gateRecheckMs,
    breakers,
    hooks: combineHooks(change.hooks, failureHooks({ repos, defaultSteps: config.engine.onFailure })),
    attachmentMaxBytes: config.servicenow.attachmentMaxBytes,
    privilege,
    secretBox,
    onDue: (at) => engine.dueAt('steps', at),
  });
  const outboxSender = createOutboxSender({
    store,
    repos,
    target,
    logger,
    metrics,
    owner,
    retry,
    deadlineMs: retry.writebackDeadlineSeconds * 1000,
    leaseMs: config.engine.leaseMs,
    onDue: (at) => engine.dueAt('outbox', at),
  });
  const admission = createRunAdmission({ store, repos, logger, maxActiveRuns: config.engine.maxActiveRuns, metrics });
  const signals = workSignalsFor(store, config.store, logger);
  const engine = createEngine({
    repos,
    signals,
    dispatcher,
    stepWorker,
    outboxSender,
    writebacks: createWritebackCompletion({ store, repos, logger, metrics }),
    admission,
    logger,
    metrics,
    owner,
    leaseMs: config.engine.leaseMs,
    tickMs: config.engine.tickMs,
    concurrency: config.engine.workerConcurrency,
    outbox: {
      inFlight: config.servicenow.writebacksInFlight,
      // One delivery fills about one batch: a ticket's PATCH and its upload's lookup are a call each.
      entriesPerDelivery: config.servicenow.batch.enabled ? config.servicenow.batch.maxItems : 20,
      lingerMs: config.servicenow.batch.enabled ? config.servicenow.batch.lingerMs : 0,
    },
    connectorSlots: connectorSlots(connectors.names(), (name) => connectors.limit(name)?.maxConcurrent),
  });
  const intake = createIntake({ inbox: repos.inbox, metrics, onAccepted: () => engine.wake() });
  const runControl = createRunControl({ store, repos, logger, metrics, onChange: () => engine.wake() });
  const poller = createPoller({
    client: snClient,
    intake,
    watermarks: repos.watermarks,
    logger,
    metrics,
    tables: config.servicenow.tables,
    overlapSeconds: config.servicenow.pollOverlapSeconds,
  });
  return { lookups, dispatcher, breakers, privilege, signals, engine, intake, runControl, poller };
}

/** What buildEngine returns. */
export type EngineParts = ReturnType<typeof buildEngine>;
