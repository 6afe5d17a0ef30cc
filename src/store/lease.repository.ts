import type { Kysely } from 'kysely';
import type { Tables } from './schema';

/** Leases across the claimed tables (steps, outbox, inbox) at once. */
export function leaseRepository(db: Kysely<Tables>) {
  return {
    /**
     * Voids every lease, whoever holds it: only for a store one process uses (SQLite), where leases
     * left by a crashed predecessor are void once the next one starts.
     */
    async voidAll(): Promise<void> {
      const unleased = { lease_owner: null, lease_until: null };
      await Promise.all([
        db.updateTable('steps').set(unleased).execute(),
        db.updateTable('outbox').set(unleased).execute(),
        db.updateTable('inbox_events').set(unleased).execute(),
      ]);
    },
  };
}
