import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { inTransaction, type Db, type Repositories, type Store, type StoreTransaction } from '../store';
import type { AfterCommit } from './dispatch-types';
import { countRunEvent, journalEntryOf, logRunEvent } from './run-event-subscribers';
import type { RunEvent } from './run-events';

/** Emits an event inside a transaction the caller holds. */
export type EmitInTransaction = (event: RunEvent) => Promise<void>;

/**
 * The one place run events go out. The audit subscriber runs at once, with the transaction of the
 * decision the event records, so the entry commits with it or not at all; the metrics, the run's
 * trace span and the log line follow once that transaction committed, so a rolled-back decision
 * (tried again later) is neither counted nor logged. The three are derived from the same event.
 */
export interface RunEventEmitter {
  /** In a transaction the caller owns: journaled in `trx`, published by whoever runs `committed` after the commit. */
  emitIn(trx: Db, event: RunEvent, committed: AfterCommit): Promise<void>;
  /** Runs `work` in one transaction; the events it emits are published once it committed. */
  inTransaction<T>(work: (trx: StoreTransaction, emit: EmitInTransaction) => Promise<T>): Promise<T>;
  /** A happening decided outside any transaction (a retry planned, a write-back delivered): journaled on its own, then published. */
  emit(event: RunEvent): Promise<void>;
}

export function createRunEventEmitter(deps: {
  store: Store;
  repos: Repositories;
  logger: Logger;
  metrics: Metrics;
}): RunEventEmitter {
  const { store, repos, logger, metrics } = deps;

  const publish = (event: RunEvent) => {
    countRunEvent(metrics, event);
    logRunEvent(logger, event);
  };

  async function emitIn(trx: Db, event: RunEvent, committed: AfterCommit): Promise<void> {
    const entry = journalEntryOf(event);
    if (entry) await repos.audit.append(trx, entry, event.at);
    committed.push(() => publish(event));
  }

  async function withEvents<T>(work: (trx: StoreTransaction, emit: EmitInTransaction) => Promise<T>): Promise<T> {
    const committed: AfterCommit = [];
    const result = await inTransaction(store, (trx) => work(trx, (event) => emitIn(trx, event, committed)));
    for (const report of committed) report();
    return result;
  }

  /** One statement for the entry, when the event has one: no transaction to open for events only counted and logged. */
  async function emit(event: RunEvent): Promise<void> {
    const entry = journalEntryOf(event);
    if (entry) await repos.audit.append(store.db, entry, event.at);
    publish(event);
  }

  return { emitIn, inTransaction: withEvents, emit };
}
