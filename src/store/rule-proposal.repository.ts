import type { Kysely, Updateable } from 'kysely';
import { nameListSchema, parseJsonColumn } from './json-column';
import type { RuleProposalRow, Tables } from './schema';

export const PROPOSAL_STATES = ['pending', 'active', 'rejected'] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

/** Ids of the proposal's high-risk rules (`rule_proposals.high_risk_rules`); empty = no approval needed. */
export function highRiskRulesOf(proposal: Pick<RuleProposalRow, 'id' | 'high_risk_rules'>): string[] {
  const where = { table: 'rule_proposals', column: 'high_risk_rules', id: proposal.id };
  return parseJsonColumn(nameListSchema, where, proposal.high_risk_rules);
}

/** Proposed changes to mapping tables; a proposal leaves `pending` once, to `active` or `rejected`. */
export function ruleProposalRepository(db: Kysely<Tables>) {
  return {
    async create(executor: Kysely<Tables>, row: RuleProposalRow): Promise<void> {
      await executor.insertInto('rule_proposals').values(row).execute();
    },
    async find(id: string): Promise<RuleProposalRow | undefined> {
      return db.selectFrom('rule_proposals').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** Newest first, optionally in one state. */
    async list(filter: { state?: ProposalState; limit: number }): Promise<RuleProposalRow[]> {
      let query = db
        .selectFrom('rule_proposals')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(filter.limit);
      if (filter.state) query = query.where('state', '=', filter.state);
      return query.execute();
    },
    /**
     * Moves a pending proposal to its final state. False when it was no longer pending: another
     * decision (on this or another instance) came first, and this one must not be applied.
     */
    async settle(
      executor: Kysely<Tables>,
      id: string,
      update: Updateable<RuleProposalRow> & { state: Exclude<ProposalState, 'pending'> },
    ): Promise<boolean> {
      const result = await executor
        .updateTable('rule_proposals')
        .set(update)
        .where('id', '=', id)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
export type RuleProposalRepository = ReturnType<typeof ruleProposalRepository>;
