/** What the implement and close paths of a change share: their dependencies, the saved change state, and ticket writes. */
import { randomUUID } from 'node:crypto';
import type { Repositories, Store, StoreTransaction } from '../store';
import type { Run } from '../store/run.repository';
import type { ChangeRunContext, RunContext } from '../engine/run-context';
import type { RunEventEmitter } from '../engine/run-event-emitter';
import type { Freeze } from './change-gates';
import type { ChangeSource } from './change-source';

export interface ChangeLifecycleDeps {
  store: Store;
  repos: Repositories;
  source: ChangeSource;
  /** Freezes from config. */
  freezes: readonly Freeze[];
  /** Also read blackout schedules from the instance. */
  blackoutSchedules: boolean;
  recheckMs: number;
  /** Where the change gate's decisions go (journal, metrics, log); the close path emits with the settling step's own. */
  events: RunEventEmitter;
  /** Largest job log attached to a change, in bytes (the start of a longer one is cut). Default 5 MiB. */
  attachmentMaxBytes?: number;
}

/** The writes both paths make: the change's state saved on its run, and write-backs through the outbox. */
export interface ChangeWrites {
  saveChange(trx: StoreTransaction, runId: string, context: RunContext, change: ChangeRunContext): Promise<void>;
  enqueue(
    trx: StoreTransaction,
    run: Run,
    table: string,
    sysId: string,
    fields: Record<string, string>,
    at: number,
  ): Promise<void>;
}

export function changeWrites(repos: Repositories): ChangeWrites {
  async function saveChange(
    trx: StoreTransaction,
    runId: string,
    context: RunContext,
    change: ChangeRunContext,
  ): Promise<void> {
    await repos.runContexts.save(trx, runId, JSON.stringify({ ...context, change }));
  }

  /** One write-back through the outbox; the marker lets the sender find a PATCH that reached the ticket before a crash. */
  async function enqueue(
    trx: StoreTransaction,
    run: Run,
    table: string,
    sysId: string,
    fields: Record<string, string>,
    at: number,
  ): Promise<void> {
    const id = randomUUID();
    const marker = `snowline-writeback:${id}`;
    const body = fields.work_notes ? { ...fields, work_notes: `${fields.work_notes}\n[${marker}]` } : fields;
    await repos.outbox.enqueue(trx, {
      id,
      run_id: run.id,
      table_name: table,
      sys_id: sysId,
      ticket_number: run.ticket_number,
      fields: JSON.stringify(body),
      marker,
      next_at: at,
    });
  }

  return { saveChange, enqueue };
}

export function who(context: RunContext, run: Run): string {
  const kind = context.change?.rollbackOf ? 'rollback run' : 'run';
  return `Snowline rule ${context.rule.id} (version ${context.rule.version}), ${kind} ${run.id}`;
}
