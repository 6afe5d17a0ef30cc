import type { Kysely } from 'kysely';
import type { Tables } from './schema';

/** Named progress markers (the poller's last seen `sys_updated_on` + `sys_id` per table). */
export function watermarkRepository(db: Kysely<Tables>) {
  return {
    async get(name: string): Promise<string | undefined> {
      const row = await db.selectFrom('watermarks').select('value').where('name', '=', name).executeTakeFirst();
      return row?.value;
    },
    async set(name: string, value: string, now: number): Promise<void> {
      await db
        .insertInto('watermarks')
        .values({ name, value, updated_at: now })
        .onConflict((oc) => oc.column('name').doUpdateSet({ value, updated_at: now }))
        .execute();
    },
    /** True when the store answers a read (the readiness check): the smallest table, one row. */
    async storeAnswers(): Promise<boolean> {
      return db
        .selectFrom('watermarks')
        .select('name')
        .limit(1)
        .execute()
        .then(
          () => true,
          () => false,
        );
    },
    /** Sets the marker unless it exists; the first writer wins. */
    async setIfAbsent(name: string, value: string, now: number): Promise<void> {
      await db
        .insertInto('watermarks')
        .values({ name, value, updated_at: now })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
    },
  };
}
export type WatermarkRepository = ReturnType<typeof watermarkRepository>;
