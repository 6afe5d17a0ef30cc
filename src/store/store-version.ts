import { sql, type Kysely } from 'kysely';
import { SnowlineError } from '../errors';
import { SNOWLINE_VERSION } from '../version';
import type { Tables } from './schema';

type Db = Kysely<Tables>;

/**
 * Migrations only go forward. A store that already holds migrations this code does not know was
 * upgraded by a newer Snowline: running older code on it would misread its tables, so opening it
 * stops, naming the version that upgraded it. That version is recorded (in `snowline_store`, beside
 * Kysely's own bookkeeping) each time a Snowline migrates the store.
 */
export async function refuseNewerStore(db: Db, known: readonly string[], schema?: string): Promise<void> {
  const applied = await appliedMigrations(db, schema);
  const unknown = applied.filter((name) => !known.includes(name));
  if (unknown.length === 0) return;
  const upgradedBy = await recordedVersion(db);
  const newest = known[known.length - 1];
  throw new SnowlineError(
    'store.newer_than_code',
    `the store was upgraded by ${upgradedBy ? `Snowline ${upgradedBy}` : 'a newer Snowline'} (it has migration ${unknown.join(', ')}); ` +
      `this is Snowline ${SNOWLINE_VERSION}, which knows migrations up to ${newest}. ` +
      `Run Snowline ${upgradedBy ?? 'of that version'} or later, or restore the backup taken before the upgrade (docs/operations.md)`,
    { details: { unknownMigrations: unknown, upgradedBy, version: SNOWLINE_VERSION } },
  );
}

/** After migrating: this version is the one that brought the store to its schema. */
export async function recordStoreVersion(db: Db): Promise<void> {
  const create = sql`create table if not exists snowline_store (key varchar(64) primary key, value text not null)`;
  // Instances starting together on one PostgreSQL may race to create it; the loser finds it made.
  await create.execute(db).catch(() => create.execute(db));
  await sql`insert into snowline_store (key, value) values ('upgraded_by', ${SNOWLINE_VERSION})
    on conflict (key) do update set value = excluded.value`.execute(db);
}

async function appliedMigrations(db: Db, schema?: string): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === 'kysely_migration' && (!schema || t.schema === schema))) return [];
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((r) => r.name);
}

async function recordedVersion(db: Db): Promise<string | undefined> {
  try {
    const { rows } = await sql<{ value: string }>`select value from snowline_store where key = 'upgraded_by'`.execute(
      db,
    );
    return rows[0]?.value;
  } catch {
    return undefined; // a store from before versions were recorded
  }
}
