import type { Kysely } from 'kysely';
import type { PrivilegeLeaseRow, Tables } from './schema';

export type PrivilegeLease = PrivilegeLeaseRow;

/** Grants of just-in-time credentials: open until released, then kept as the record of the grant. */
export function privilegeLeaseRepository(db: Kysely<Tables>) {
  return {
    async insert(executor: Kysely<Tables>, lease: PrivilegeLease): Promise<void> {
      await executor.insertInto('privilege_leases').values(lease).execute();
    },

    async openOfStep(stepId: string): Promise<PrivilegeLease[]> {
      return db
        .selectFrom('privilege_leases')
        .selectAll()
        .where('step_id', '=', stepId)
        .where('released_at', 'is', null)
        .execute();
    },

    /** Open grants with the state and worker lease of their step, for the release sweep. */
    async openWithStep() {
      return db
        .selectFrom('privilege_leases')
        .innerJoin('steps', 'steps.id', 'privilege_leases.step_id')
        .selectAll('privilege_leases')
        .select(['steps.state as step_state', 'steps.lease_until as step_lease_until'])
        .where('privilege_leases.released_at', 'is', null)
        .execute();
    },

    /** Marks a grant released; false when another worker released it first. */
    async markReleased(
      executor: Kysely<Tables>,
      id: string,
      at: number,
      error: string | null = null,
    ): Promise<boolean> {
      const result = await executor
        .updateTable('privilege_leases')
        .set({ released_at: at, release_error: error })
        .where('id', '=', id)
        .where('released_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
export type PrivilegeLeaseRepository = ReturnType<typeof privilegeLeaseRepository>;
