import type { Kysely } from 'kysely';
import type { AlertRow, Tables } from './schema';

/** Alerts raised in ServiceNow: one row per key, so one open record per condition (src/slo/alert-raiser.ts). */
export function alertRepository(db: Kysely<Tables>) {
  return {
    async get(executor: Kysely<Tables>, key: string): Promise<AlertRow | undefined> {
      return executor.selectFrom('alerts').selectAll().where('alert_key', '=', key).executeTakeFirst();
    },

    /** Opens the alert, or opens it again with a new record; the caller checked none is open (same transaction). */
    async open(executor: Kysely<Tables>, row: Omit<AlertRow, 'state' | 'resolved_at' | 'updates'>): Promise<void> {
      const opened = { ...row, state: 'open', resolved_at: null, updates: 0 };
      await executor
        .insertInto('alerts')
        .values(opened)
        .onConflict((oc) => oc.column('alert_key').doUpdateSet(opened))
        .execute();
    },

    async markUpdated(
      executor: Kysely<Tables>,
      key: string,
      change: Pick<AlertRow, 'summary' | 'detail' | 'updated_at'>,
    ): Promise<void> {
      await executor
        .updateTable('alerts')
        .set((eb) => ({ ...change, updates: eb('updates', '+', 1) }))
        .where('alert_key', '=', key)
        .execute();
    },

    async resolve(executor: Kysely<Tables>, key: string, at: number): Promise<void> {
      await executor
        .updateTable('alerts')
        .set({ state: 'resolved', resolved_at: at, updated_at: at })
        .where('alert_key', '=', key)
        .where('state', '=', 'open')
        .execute();
    },

    /** Open alerts of the given kinds (every kind when none is given). */
    async listOpen(kinds?: readonly string[]): Promise<AlertRow[]> {
      let query = db.selectFrom('alerts').selectAll().where('state', '=', 'open');
      if (kinds) query = query.where('kind', 'in', [...kinds]);
      return query.orderBy('opened_at').execute();
    },

    /** Of these records, the ones Snowline raised about itself: their events must never start Snowline's rules. */
    async ownAlertRecords(sysIds: readonly string[]): Promise<Set<string>> {
      if (sysIds.length === 0) return new Set();
      const rows = await db
        .selectFrom('alerts')
        .select('sys_id')
        .where('sys_id', 'in', [...new Set(sysIds)])
        .where('kind', '!=', 'alertmanager')
        .execute();
      return new Set(rows.map((r) => r.sys_id));
    },
  };
}
export type AlertRepository = ReturnType<typeof alertRepository>;
