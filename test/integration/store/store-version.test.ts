import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { openStore } from '../../../src/store';
import { SNOWLINE_VERSION } from '../../../src/version';
import { ENGINES, openTestStore } from '../../helpers/stores';

// PostgreSQL schemas are created and migrated twice per case: slow on a busy machine.
jest.setTimeout(90_000);

/** Migrations run forward only: a store upgraded by a newer Snowline is refused, naming that version. */
describe.each(ENGINES)('store version on %s', (engine) => {
  it('records the version that migrated the store', async () => {
    const t = await openTestStore(engine);
    try {
      const { rows } = await sql<{ value: string }>`select value from snowline_store where key = 'upgraded_by'`.execute(
        t.store.db,
      );
      expect(rows).toEqual([{ value: SNOWLINE_VERSION }]);
    } finally {
      await t.close();
    }
  });

  it('refuses a store holding a migration this code does not know, saying which version upgraded it', async () => {
    const t = await openTestStore(engine);
    await sql`insert into kysely_migration (name, timestamp) values ('099-from-the-future', '2027-01-01T00:00:00.000Z')`.execute(
      t.store.db,
    );
    await sql`update snowline_store set value = '9.4.0' where key = 'upgraded_by'`.execute(t.store.db);
    await t.store.close();
    const reopened = openStore(t.options);
    await expect(reopened).rejects.toMatchObject({
      code: 'store.newer_than_code',
      message: expect.stringMatching(
        new RegExp(
          `^the store was upgraded by Snowline 9\\.4\\.0 \\(it has migration 099-from-the-future\\); this is Snowline ${SNOWLINE_VERSION.replace(/\./g, '\\.')}, which knows migrations up to \\d{3}-[a-z-]+\\. Run Snowline 9\\.4\\.0 or later`,
        ),
      ),
    });
    // Refused before touching it: the store still holds what it held.
    const again = await openTestStoreOn(t.options);
    expect(again).toBe('refused');
  });
});

it('the version constant is the package version', () => {
  expect(SNOWLINE_VERSION).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
});

async function openTestStoreOn(options: Parameters<typeof openStore>[0]): Promise<'opened' | 'refused'> {
  return openStore(options).then(
    async (store) => {
      await store.close();
      return 'opened' as const;
    },
    () => 'refused' as const,
  );
}
