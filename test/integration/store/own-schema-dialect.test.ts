import { sql } from 'kysely';
import { openTestStore, type TestStore } from '../../helpers/stores';

/** A store on PostgreSQL lists (and migrates by) its own schema's tables, whatever else the database holds. */
describe('a PostgreSQL store among other schemas', () => {
  let mine: TestStore;
  let other: TestStore;

  beforeAll(async () => {
    [mine, other] = [await openTestStore('postgres'), await openTestStore('postgres')];
    await sql`create table stranger (id serial primary key, note text)`.execute(other.store.db);
  });
  afterAll(async () => {
    await mine?.close();
    await other?.close();
  });

  it("lists its own schema's tables with their columns, Kysely's bookkeeping only when asked", async () => {
    const tables = await mine.store.db.introspection.getTables();
    const names = tables.map((t) => t.name);
    expect(names).toContain('runs');
    expect(names).not.toContain('stranger');
    expect(names).not.toContain('kysely_migration');
    expect(new Set(tables.map((t) => t.schema))).toEqual(new Set([mine.options.postgresSchema]));
    const withBookkeeping = await mine.store.db.introspection.getTables({ withInternalKyselyTables: true });
    expect(withBookkeeping.map((t) => t.name)).toEqual(expect.arrayContaining(['kysely_migration', 'runs']));

    const stranger = (await other.store.db.introspection.getTables()).find((t) => t.name === 'stranger');
    expect(stranger?.columns).toEqual([
      expect.objectContaining({ name: 'id', dataType: 'int4', isNullable: false, isAutoIncrementing: true }),
      expect.objectContaining({ name: 'note', dataType: 'text', isNullable: true, isAutoIncrementing: false }),
    ]);
  });
});
