import type { Kysely } from 'kysely';
import type { ChangeClaimRow, Tables } from './schema';

/** Run states in which a run still holds its configuration item. */
const HOLDING_RUN_STATES = ['running', 'paused'];

/**
 * Which change run implements on a configuration item now. The claim is one row per CI (primary
 * key), taken inside the caller's transaction: of two runs claiming at once, one inserts and the
 * other finds it taken. A claim left by a run that ended without releasing it (cancelled by an
 * operator) is taken over.
 */
export function changeClaimRepository() {
  return {
    /** Claims `cmdbCi` for the run; returns the other run's claim when that one still holds it. */
    async claim(
      trx: Kysely<Tables>,
      claim: ChangeClaimRow,
    ): Promise<{ claimed: true } | { claimed: false; holder: ChangeClaimRow }> {
      await trx
        .insertInto('change_claims')
        .values(claim)
        .onConflict((oc) => oc.column('cmdb_ci').doNothing())
        .execute();
      const current = await trx
        .selectFrom('change_claims')
        .selectAll()
        .where('cmdb_ci', '=', claim.cmdb_ci)
        .executeTakeFirstOrThrow();
      if (current.run_id === claim.run_id) return { claimed: true };
      const holder = await trx.selectFrom('runs').select('state').where('id', '=', current.run_id).executeTakeFirst();
      if (holder && HOLDING_RUN_STATES.includes(holder.state)) return { claimed: false, holder: current };
      // Only one taker wins: the update matches only while the stale holder is still the one recorded.
      const taken = await trx
        .updateTable('change_claims')
        .set(claim)
        .where('cmdb_ci', '=', claim.cmdb_ci)
        .where('run_id', '=', current.run_id)
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) === 1) return { claimed: true };
      const winner = await trx
        .selectFrom('change_claims')
        .selectAll()
        .where('cmdb_ci', '=', claim.cmdb_ci)
        .executeTakeFirstOrThrow();
      return winner.run_id === claim.run_id ? { claimed: true } : { claimed: false, holder: winner };
    },

    /** A rollback run carries on the failed run's work on the same CI: it inherits the claim. */
    async transfer(trx: Kysely<Tables>, fromRunId: string, toRunId: string): Promise<void> {
      await trx.updateTable('change_claims').set({ run_id: toRunId }).where('run_id', '=', fromRunId).execute();
    },

    async release(trx: Kysely<Tables>, runId: string): Promise<void> {
      await trx.deleteFrom('change_claims').where('run_id', '=', runId).execute();
    },
  };
}
export type ChangeClaimRepository = ReturnType<typeof changeClaimRepository>;
