import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger';
import { type Repositories, type Store, inTransaction, type StoreTransaction } from '../store';
import type { AlertRow } from '../store/schema';
import type { AlertCondition, AlertKind } from './alert-conditions';
import { openFields, resolveFields, updateFields, type AlertTarget, type RecordSettings } from './alert-records';

export interface AlertRaiserDeps {
  store: Store;
  repos: Repositories;
  logger: Logger;
  /** Records are updated at most this often while a condition lasts, and only when its figures changed. */
  updateEveryMs: number;
  records: RecordSettings;
  now?: () => number;
}

export type RaiseResult = 'opened' | 'updated' | 'unchanged';

/**
 * Keeps one ServiceNow record per alert key: opens it when a condition starts, updates it (rarely)
 * while it lasts, resolves it when it clears. The alert row and the outbox entry that tells
 * ServiceNow are written in one transaction, so a crash neither loses nor doubles a record, and the
 * outbox delivers it with the usual retries. The record's sys_id is chosen here: its insert event is
 * known as Snowline's own before ServiceNow even answers.
 */
export function createAlertRaiser(deps: AlertRaiserDeps) {
  const now = deps.now ?? Date.now;
  const { store, repos, logger } = deps;

  async function enqueue(
    trx: StoreTransaction,
    row: Pick<AlertRow, 'alert_key' | 'table_name' | 'sys_id'>,
    fields: Record<string, string>,
    insert: boolean,
    marker: string,
    at: number,
  ) {
    await repos.outbox.enqueue(trx, {
      id: randomUUID(),
      run_id: `alert:${row.alert_key}`,
      table_name: row.table_name,
      // Each event is a record of its own; an incident is inserted once, then patched.
      sys_id: insert && row.table_name === 'em_event' ? newSysId() : row.sys_id,
      ticket_number: `alert:${row.alert_key}`.slice(0, 200),
      fields: JSON.stringify(fields),
      marker,
      next_at: at,
      operation: insert ? 'insert' : null,
    });
  }

  /** Opens the condition's record, or updates it when it is open and its figures changed long enough ago. */
  async function raise(condition: AlertCondition, target: AlertTarget): Promise<RaiseResult> {
    const at = now();
    const result = await inTransaction(store, async (trx): Promise<RaiseResult> => {
      const existing = await repos.alerts.get(trx, condition.key);
      const detail = JSON.stringify(condition.detail);
      if (existing?.state === 'open') {
        if (existing.detail === detail || at - existing.updated_at < deps.updateEveryMs) return 'unchanged';
        const marker = `[snowline alert ${existing.sys_id.slice(0, 8)}#${existing.updates + 1}]`;
        const fields = updateFields(existing.target as AlertTarget, condition, deps.records, marker, at);
        await enqueue(trx, existing, fields, existing.target === 'em_event', marker, at);
        await repos.alerts.markUpdated(trx, condition.key, { summary: condition.summary, detail, updated_at: at });
        return 'updated';
      }
      const row = {
        alert_key: condition.key,
        kind: condition.kind,
        target,
        table_name: target,
        sys_id: newSysId(),
        summary: condition.summary,
        detail,
        opened_at: at,
        updated_at: at,
      };
      await repos.alerts.open(trx, row);
      await enqueue(
        trx,
        row,
        openFields(target, condition, deps.records, at),
        true,
        `[snowline alert ${row.sys_id.slice(0, 8)}]`,
        at,
      );
      return 'opened';
    });
    if (result !== 'unchanged') logger.warn(`alert ${result}`, { alert: condition.key, kind: condition.kind });
    return result;
  }

  /** Resolves the alert's record when it is open; false when there was nothing to resolve. */
  async function resolve(key: string): Promise<boolean> {
    const at = now();
    const resolved = await inTransaction(store, async (trx) => {
      const row = await repos.alerts.get(trx, key);
      if (row?.state !== 'open') return false;
      const marker = `[snowline alert ${row.sys_id.slice(0, 8)} resolved]`;
      const condition = { key, kind: row.kind as AlertKind, summary: row.summary };
      const fields = resolveFields(row.target as AlertTarget, condition, deps.records, marker, at);
      await enqueue(trx, row, fields, row.target === 'em_event', marker, at);
      await repos.alerts.resolve(trx, key, at);
      return true;
    });
    if (resolved) logger.info('alert resolved', { alert: key });
    return resolved;
  }

  return {
    raise,
    resolve,
    /**
     * Brings the open alerts of the given kinds in line with the conditions that hold now: new ones
     * opened, lasting ones updated, the rest resolved.
     */
    async reconcile(kinds: readonly AlertKind[], holding: readonly AlertCondition[], target: AlertTarget) {
      const counts = { opened: 0, updated: 0, resolved: 0 };
      for (const condition of holding) {
        const result = await raise(condition, target);
        if (result !== 'unchanged') counts[result] += 1;
      }
      const held = new Set(holding.map((c) => c.key));
      for (const open of await repos.alerts.listOpen(kinds))
        if (!held.has(open.alert_key) && (await resolve(open.alert_key))) counts.resolved += 1;
      return counts;
    },
  };
}
export type AlertRaiser = ReturnType<typeof createAlertRaiser>;

/** A sys_id as the platform makes them: 32 lower-case hex characters. */
function newSysId(): string {
  return randomBytes(16).toString('hex');
}
