import type { Transaction } from 'kysely';
import type { Store } from './database';
import type { Tables } from './schema';

/** The executor repository methods take to work inside a caller's transaction. */
export type StoreTransaction = Transaction<Tables>;

/** Runs `work` in one transaction: what the repository calls given `trx` write commits together or not at all. */
export function inTransaction<T>(store: Store, work: (trx: StoreTransaction) => Promise<T>): Promise<T> {
  return store.db.transaction().execute(work);
}
