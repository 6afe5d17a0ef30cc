import type { Server } from 'node:http';
import { closeServer } from '../api/http-server';
import type { LiveChanges } from '../api/live-changes';
import type { RateLimits } from '../api/rate-limits';
import type { Config } from '../config';
import type { Leadership } from '../engine/leadership';
import type { RuleSchedules } from '../ingest/rule-schedules';
import type { RuleReloader } from '../mappings/rule-reloader';
import type { Logger } from '../observability/logger';
import type { Store } from '../store';
import type { Clients } from './clients';
import type { EngineParts } from './engine-parts';

/** Everything a running Snowline closes when it stops, in the order below. */
export interface ShutdownInputs {
  config: Config;
  logger: Logger;
  store: Store;
  tracing: { stop(): Promise<void> };
  rules: RuleReloader;
  leadership: Leadership;
  liveChanges: LiveChanges;
  scheduled: { stop(): Promise<void> };
  ruleSchedules: RuleSchedules;
  anchorAudit: () => Promise<unknown>;
  rateLimits: RateLimits;
  clients: Clients;
  parts: EngineParts;
}

/** The two halves of stopping: first intake of new work, then the work itself and every connection. */
export function shutdownOrder(inputs: ShutdownInputs) {
  const { config, logger, store, tracing, rules, leadership, liveChanges, scheduled, ruleSchedules } = inputs;
  const { anchorAudit, rateLimits } = inputs;
  const { snClient, controllerClient, notify, limiters } = inputs.clients;
  const { engine, breakers, signals } = inputs.parts;
  /** Stops intake of new work; says whether this instance was the leader (it anchors the audit last). */
  const stopParts = async (): Promise<boolean> => {
    const wasLeader = leadership.isLeader();
    liveChanges.close();
    await scheduled.stop();
    await ruleSchedules.stop();
    await leadership.stop();
    await rules.stop();
    return wasLeader;
  };
  /** Drains the engine (and the server, when there is one) within the grace, then closes the rest. */
  const stopWork = async (wasLeader: boolean, server?: Server) => {
    // Both within the grace: in-flight requests and steps finish or are cut off, leases released.
    await Promise.all([
      server && closeServer(server, config.server.shutdownGraceMs),
      engine.stop(config.server.shutdownGraceMs),
    ]);
    // The last entries written before the exit are anchored too, so deleting them is detected.
    if (wasLeader)
      await anchorAudit().catch((err: Error) => logger.warn('audit anchor failed', { error: err.message }));
    breakers.shutdown();
    await snClient.close();
    await controllerClient?.close();
    await notify?.close();
    await limiters.close();
    await rateLimits.close();
    await signals.close();
    await store.close();
    await tracing.stop();
  };
  return { stopParts, stopWork };
}
