import type { CompiledQuery, Kysely, KyselyPlugin } from 'kysely';

/**
 * `db` as a handle that records every statement run through it, compiled as the database gets it
 * (SQL and parameters), so a test can replay them under EXPLAIN.
 */
export function capturingStatements<T>(db: Kysely<T>): { db: Kysely<T>; statements: CompiledQuery[] } {
  const statements: CompiledQuery[] = [];
  const executor = db.getExecutor();
  const capture: KyselyPlugin = {
    transformQuery: ({ node, queryId }) => {
      statements.push(executor.compileQuery(node, queryId));
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  return { db: db.withPlugin(capture), statements };
}
