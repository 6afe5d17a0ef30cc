import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Workflow constructs: a step's stage (steps of one stage run in parallel) and its flow options
 * (join, `when`, timeout, which step it compensates) as JSON. Existing steps keep running in
 * sequence: each gets its own stage.
 */
export const workflow = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('steps')
      .addColumn('stage', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .alterTable('steps')
      .addColumn('flow', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await sql`update steps set stage = idx`.execute(db);
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('steps').dropColumn('flow').execute();
    await db.schema.alterTable('steps').dropColumn('stage').execute();
  },
});
