import type { Kysely } from 'kysely';
import { parseJsonColumn, textFieldsSchema } from './json-column';
import type { RuleVersionRow, Tables } from './schema';

/**
 * Every set of mapping tables Snowline has loaded, by content hash, with who loaded it first and
 * when. A version's sources are immutable: loading the same files again records nothing new.
 */
export function ruleVersionRepository(db: Kysely<Tables>) {
  return {
    /** Stores the version unless it is already known; returns whether it was new. */
    async record(version: string, sources: Record<string, string>, loadedBy: string, at: number): Promise<boolean> {
      const result = await db
        .insertInto('rule_versions')
        .values({ version, loaded_at: at, loaded_by: loadedBy, source: JSON.stringify(sources) })
        .onConflict((oc) => oc.column('version').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    /** Newest first. */
    async list(limit = 50): Promise<Omit<RuleVersionRow, 'source'>[]> {
      return db
        .selectFrom('rule_versions')
        .select(['version', 'loaded_at', 'loaded_by'])
        .orderBy('loaded_at', 'desc')
        .orderBy('version')
        .limit(limit)
        .execute();
    },
    async sources(version: string): Promise<Record<string, string> | undefined> {
      const row = await db
        .selectFrom('rule_versions')
        .select(['version', 'source'])
        .where('version', '=', version)
        .executeTakeFirst();
      return row
        ? parseJsonColumn(textFieldsSchema, { table: 'rule_versions', column: 'source', id: row.version }, row.source)
        : undefined;
    },
  };
}
export type RuleVersionRepository = ReturnType<typeof ruleVersionRepository>;
