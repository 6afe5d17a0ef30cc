import type { Kysely } from 'kysely';
import type { SuggestionRow, Tables } from './schema';

/** The offers suggest-mode rules have posted, one per rule and ticket. */
export function suggestionRepository(db: Kysely<Tables>) {
  return {
    /**
     * Records the offer inside the caller's transaction; false when this rule already offered itself
     * on this ticket (then nothing is posted again).
     */
    async recordFirst(executor: Kysely<Tables>, row: SuggestionRow): Promise<boolean> {
      const result = await executor
        .insertInto('suggestions')
        .values(row)
        .onConflict((oc) => oc.columns(['rule_id', 'table_name', 'sys_id']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async forTicket(table: string, sysId: string): Promise<SuggestionRow[]> {
      return db
        .selectFrom('suggestions')
        .selectAll()
        .where('table_name', '=', table)
        .where('sys_id', '=', sysId)
        .orderBy('suggested_at')
        .execute();
    },
  };
}
export type SuggestionRepository = ReturnType<typeof suggestionRepository>;
