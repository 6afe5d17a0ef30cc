import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, repositories, type Repositories, type Store } from '../../src/store';

/**
 * Store tests run on both engines. PostgreSQL is required, never skipped: CI starts it
 * (127.0.0.1:5432, trust auth, database `test`). Each test store gets its own schema.
 */
export const ENGINES = ['sqlite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

export const TEST_POSTGRES_URL = process.env.SNOWLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  store: Store;
  repos: Repositories;
  /** For a second handle on the same data (another "instance"). */
  options: { sqlitePath: string; postgresUrl?: string; postgresSchema?: string };
  close(): Promise<void>;
}

export async function openTestStore(engine: Engine): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'snowline-test-'));
  // The creation time in the name lets global setup drop only schemas left by earlier runs.
  const schema = `t_${Math.floor(Date.now() / 1000)}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const options =
    engine === 'postgres'
      ? { sqlitePath: join(dir, 'unused.db'), postgresUrl: TEST_POSTGRES_URL, postgresSchema: schema }
      : { sqlitePath: join(dir, 'snowline.db') };
  const store =
    engine === 'postgres' ? await whileNoSchemaIsDropped(() => openStore(options)) : await openStore(options);
  return {
    store,
    repos: repositories(store),
    options,
    async close() {
      // The schema stays until the next run's global setup (see global-setup.ts).
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Advisory lock key shared with global-setup.ts: schema drops take it exclusively. */
export const SCHEMA_DROP_LOCK = 7246099;

/**
 * Runs `open` holding the drop lock in shared mode. The migrator reads the whole catalog, and a
 * schema dropped by another test run's global setup in the middle of that read fails it.
 */
async function whileNoSchemaIsDropped<T>(open: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock_shared($1)', [SCHEMA_DROP_LOCK]);
    return await open();
  } finally {
    await client.end();
  }
}
