import type { Kysely } from 'kysely';
import { ConflictError } from '../errors';
import { isUniqueViolation } from './dialect';
import type { ApprovalRow, Tables } from './schema';

export type Approval = ApprovalRow;

/** Manual approvals of run steps: one decision per step, never overwritten. */
export function approvalRepository(db: Kysely<Tables>) {
  return {
    /** Records a decision; a second decision on the same step is a ConflictError. */
    async record(executor: Kysely<Tables>, approval: Approval): Promise<void> {
      try {
        await executor.insertInto('approvals').values(approval).execute();
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ConflictError(
            'approval.already_decided',
            `step ${approval.step_name} of run ${approval.run_id} already has a decision`,
          );
        throw error;
      }
    },

    async find(runId: string, stepName: string): Promise<Approval | undefined> {
      return db
        .selectFrom('approvals')
        .selectAll()
        .where('run_id', '=', runId)
        .where('step_name', '=', stepName)
        .executeTakeFirst();
    },
  };
}
export type ApprovalRepository = ReturnType<typeof approvalRepository>;
