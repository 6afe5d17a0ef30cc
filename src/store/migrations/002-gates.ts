import type { Kysely, Migration } from 'kysely';

/**
 * Gates before steps: each step records the gates it must pass and, while one holds it back, why;
 * manual approvals are kept per run step with who decided and when.
 */
export const gates = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('steps')
      .addColumn('gates', 'text', (c) => c.notNull().defaultTo('[]'))
      .execute();
    await db.schema.alterTable('steps').addColumn('waiting_for', 'text').execute();
    await db.schema
      .createTable('approvals')
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
      .addColumn('step_name', 'text', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('comment', 'text')
      .addColumn('decided_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('approvals_one_per_step', ['run_id', 'step_name'])
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('approvals').execute();
    await db.schema.alterTable('steps').dropColumn('waiting_for').execute();
    await db.schema.alterTable('steps').dropColumn('gates').execute();
  },
});
