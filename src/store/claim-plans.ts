import { sql, type Kysely } from 'kysely';
import type { StoreDialect } from './dialect';
import type { Tables } from './schema';

/**
 * Runs a claim in a transaction of its own. On PostgreSQL the claim is planned as a walk down an
 * index in its own order (oldest due first) that stops at its limit, never as a read and sort of
 * every due row: sorting is ruled out for the transaction, and each claim has an index in its order
 * (migration 021, and the inbox's by-record index for its check of older versions).
 *
 * Why: the planner chooses from the table's statistics, which autovacuum refreshes about once a
 * minute at best, and a burst turns "a few rows due" into thousands within seconds.
 * - With an estimate from before the burst, every inbox claim read all pending events through a
 *   bitmap, sorted them and kept the first 25: 13 ms a claim on average in the engine bench (35 ms
 *   at the burst's height), over half of PostgreSQL's time.
 * - A bitmap scan never marks the index entries of dead row versions, so each step claim walked
 *   again past every step that had moved on since the last vacuum.
 * - With statistics from a quiet hour (nothing pending), the check for an older pending version of
 *   the ticket walked every pending event for each event claimed: 44 ms for 25 of 15,000.
 *
 * The setting is the transaction's own (`SET LOCAL`): every other query keeps the planner's
 * choice. It goes in the same message as the transaction's BEGIN (PostgreSQL's simple protocol runs
 * both and leaves the transaction open), so it costs no round trip of its own: claims run on every
 * round of every loop, and a round trip's socket write alone costs Snowline more CPU than building
 * most statements. Measured in docs/benchmarks.md, sessions 9 and 10.
 */
export function claimInIndexOrder<T>(
  db: Kysely<Tables>,
  dialect: StoreDialect,
  claim: (trx: Kysely<Tables>) => Promise<T>,
): Promise<T> {
  if (dialect !== 'postgres') return db.transaction().execute(claim);
  return db.connection().execute(async (connection) => {
    await sql.raw(BEGIN_IN_INDEX_ORDER).execute(connection);
    try {
      const claimed = await claim(connection);
      await sql.raw('commit').execute(connection);
      return claimed;
    } catch (err) {
      await sql
        .raw('rollback')
        .execute(connection)
        .catch(() => undefined);
      throw err;
    }
  });
}

/** No parameters, so the driver sends it as one simple-protocol message: two statements, one round trip. */
const BEGIN_IN_INDEX_ORDER = 'begin; set local enable_sort = off';
