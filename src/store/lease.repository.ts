import type { Kysely } from 'kysely';
import type { Tables } from './schema';

/** Leases across the claimed tables (steps, outbox, inbox) at once. */
export function leaseRepository(db: Kysely<Tables>) {
  return {
    /**
     * Voids the leases a crashed predecessor left, for a store one process uses (SQLite), so its
     * work is taken up at once. Not those of write-backs it was sending: a write goes on at the
     * instance after its sender died, so they stay held until their lease (the settle time past
     * its last renewal, see the outbox sender) runs out, and are looked up on the ticket only then.
     */
    async voidAbandoned(): Promise<void> {
      const unleased = { lease_owner: null, lease_until: null };
      await Promise.all([
        db.updateTable('steps').set(unleased).execute(),
        db.updateTable('outbox').set(unleased).where('state', '!=', 'sending').execute(),
        db.updateTable('inbox_events').set(unleased).execute(),
      ]);
    },
  };
}
