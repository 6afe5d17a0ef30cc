import type { Kysely } from 'kysely';
import type { Tables } from './schema';

/**
 * The stored context of runs (`runs.context`, JSON text): read and rewritten by change management
 * and by secret-key rotation. The engine parses it (engine/run-context.ts, `runContextOf`).
 */
export function runContextRepository(db: Kysely<Tables>) {
  return {
    /** A run's context as stored; undefined when there is no such run. */
    async read(executor: Kysely<Tables>, runId: string): Promise<{ id: string; context: string } | undefined> {
      return executor.selectFrom('runs').select(['id', 'context']).where('id', '=', runId).executeTakeFirst();
    },

    async save(executor: Kysely<Tables>, runId: string, context: string): Promise<void> {
      await executor.updateTable('runs').set({ context }).where('id', '=', runId).execute();
    },

    /** Runs whose context holds sealed secret params (`snowline secrets rotate` re-seals them). */
    async withSealedParams(): Promise<Array<{ id: string; context: string }>> {
      return db.selectFrom('runs').select(['id', 'context']).where('context', 'like', '%"sealedParams"%').execute();
    },

    /** Replaces a context only if it is still `expected`, so a concurrent update keeps its own; false when it was not. */
    async replaceIfUnchanged(runId: string, expected: string, fresh: string): Promise<boolean> {
      const result = await db
        .updateTable('runs')
        .set({ context: fresh })
        .where('id', '=', runId)
        .where('context', '=', expected)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Change runs implementing now (a step started, the run not finished), but `exceptRunId`. */
    async implementingChanges(exceptRunId: string) {
      return db
        .selectFrom('runs')
        .select(['runs.id', 'runs.context', 'runs.ticket_number'])
        .where('runs.table_name', '=', 'change_request')
        .where('runs.state', '=', 'running')
        .where('runs.id', '!=', exceptRunId)
        .where(({ exists, selectFrom }) =>
          exists(
            selectFrom('steps')
              .select('steps.id')
              .whereRef('steps.run_id', '=', 'runs.id')
              .where('steps.started_at', 'is not', null),
          ),
        )
        .execute();
    },
  };
}
export type RunContextRepository = ReturnType<typeof runContextRepository>;
