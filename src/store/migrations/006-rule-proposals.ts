import type { Kysely, Migration } from 'kysely';

/**
 * Changes to mapping tables proposed through the API. A change touching a high-risk rule waits
 * here until a second person approves it (four eyes); the row keeps who proposed, who decided and
 * which version it became, next to the audit journal's entries.
 */
export const ruleProposals = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('rule_proposals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('file', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('base_content', 'text')
      .addColumn('base_version', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('high_risk_rules', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('comment', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .addColumn('decision_comment', 'text')
      .addColumn('decided_at', 'bigint')
      .addColumn('activated_version', 'text')
      .addColumn('activated_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('rule_proposals_by_state')
      .on('rule_proposals')
      .columns(['state', 'created_at'])
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('rule_proposals').execute();
  },
});
