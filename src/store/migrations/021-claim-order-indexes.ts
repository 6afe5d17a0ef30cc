import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../dialect';

/**
 * PostgreSQL: the step and outbox claims take the due rows earliest first across several states.
 * An index on (state, next_at) gives that order only state by state, so every claim read all the
 * due rows and sorted them; these partial indexes hold only the rows still to work, in `next_at`
 * order, so a claim reads as far as its limit (see claim-plans.ts). SQLite does not use a partial
 * index for a query whose states are bound parameters, so there it would only cost writes.
 */
export const claimOrderIndexes = (dialect: StoreDialect): Migration => ({
  async up(db: Kysely<any>) {
    if (dialect !== 'postgres') return;
    await db.schema
      .createIndex('steps_due_in_order')
      .on('steps')
      .column('next_at')
      .where(sql.ref('state'), 'in', ['pending', 'starting', 'waiting'])
      .execute();
    await db.schema
      .createIndex('outbox_due_in_order')
      .on('outbox')
      .column('next_at')
      .where(sql.ref('state'), 'in', ['pending', 'sending'])
      .execute();
  },
  async down(db: Kysely<any>) {
    if (dialect !== 'postgres') return;
    await db.schema.dropIndex('outbox_due_in_order').execute();
    await db.schema.dropIndex('steps_due_in_order').execute();
  },
});
