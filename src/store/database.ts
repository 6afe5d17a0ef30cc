import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  sql,
  SqliteDialect,
  type Migration,
  type MigrationProvider,
  type SqliteDatabase,
} from 'kysely';
import pg from 'pg';
import { boundedCache } from '../bounded-cache';
import { SnowlineError } from '../errors';
import type { StoreDialect } from './dialect';
import { OwnSchemaPostgresDialect } from './own-schema-dialect';
import { startCheckpointer } from './sqlite-checkpointer';
import { recordStoreVersion, refuseNewerStore } from './store-version';
import { initial } from './migrations/001-initial';
import { gates } from './migrations/002-gates';
import { connectorCredentials } from './migrations/003-connector-credentials';
import { workflow } from './migrations/004-workflow';
import { inboxByRecord } from './migrations/005-inbox-by-record';
import { ruleProposals } from './migrations/006-rule-proposals';
import { suggestions } from './migrations/007-suggestions';
import { outboxAttachments } from './migrations/008-outbox-attachments';
import { changeClaims } from './migrations/009-change-claims';
import { identityUse } from './migrations/010-identity-use';
import { runConcurrency } from './migrations/011-run-concurrency';
import { privilegeLeases } from './migrations/012-privilege-leases';
import { ticketLookupIndexes } from './migrations/013-ticket-lookup-indexes';
import { eventOutcomes } from './migrations/014-event-outcomes';
import { retention } from './migrations/015-retention';
import { alerts } from './migrations/016-alerts';
import { pendingJournal } from './migrations/017-pending-journal';
import { outboxEnqueueOrder } from './migrations/018-outbox-enqueue-order';
import { inboxRecordIndexDropped } from './migrations/019-inbox-record-index-dropped';
import { timeRangeIndexes } from './migrations/020-time-range-indexes';
import { claimOrderIndexes } from './migrations/021-claim-order-indexes';
import type { Tables } from './schema';

export type Db = Kysely<Tables>;

/** An open store: the query builder, which engine it talks to, and how to close it. */
export interface Store {
  db: Db;
  dialect: StoreDialect;
  close(): Promise<void>;
}

export interface StoreOptions {
  sqlitePath: string;
  postgresUrl?: string;
  /** PostgreSQL schema to use (created when missing); lets tests and tenants share one database. */
  postgresSchema?: string;
  /** SQLite: checkpoint from a thread of its own (sqlite-checkpointer.ts), as a serving process does. */
  checkpointInBackground?: boolean;
}

/** Migrations in order. Add a file per change; never edit one that has shipped. */
function migrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '001-initial': initial(dialect),
    '002-gates': gates(),
    '003-connector-credentials': connectorCredentials(),
    '004-workflow': workflow(),
    '005-inbox-by-record': inboxByRecord(),
    '006-rule-proposals': ruleProposals(),
    '007-suggestions': suggestions(),
    '008-outbox-attachments': outboxAttachments(),
    '009-change-claims': changeClaims(),
    '010-identity-use': identityUse(),
    '011-run-concurrency': runConcurrency(),
    '012-privilege-leases': privilegeLeases(),
    '013-ticket-lookup-indexes': ticketLookupIndexes(),
    '014-event-outcomes': eventOutcomes(),
    '015-retention': retention(),
    '016-alerts': alerts(),
    '017-pending-journal': pendingJournal(dialect),
    '018-outbox-enqueue-order': outboxEnqueueOrder(),
    '019-inbox-record-index-dropped': inboxRecordIndexDropped(),
    '020-time-range-indexes': timeRangeIndexes(),
    '021-claim-order-indexes': claimOrderIndexes(dialect),
  };
}

// PostgreSQL returns bigint columns as strings; every bigint here is an epoch-ms or a sequence,
// far below 2^53, so numbers are exact.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/** Opens SQLite or PostgreSQL (when a URL is given) and brings the schema up to date. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const store = options.postgresUrl
    ? await openPostgres(options.postgresUrl, options.postgresSchema)
    : openSqlite(options.sqlitePath, options.checkpointInBackground === true);
  // A store that cannot be brought up to date (or is newer than this code) is not left open.
  await migrate(store).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  return store;
}

/**
 * SQLite's own page cache, per connection. better-sqlite3 builds SQLite with 16 MiB, which a store
 * of tens of thousands of waiting runs fills: it was the largest part of what those runs cost in
 * memory (docs/benchmarks.md, "Memory per waiting run"). The pages it no longer keeps stay in the
 * operating system's file cache, outside the process, and the engine's hot queries read index
 * pages that fit in this much; the step claims cost no more CPU per run at this size.
 */
const SQLITE_PAGE_CACHE_KIB = 4096;

/**
 * WAL pages written before SQLite copies them into the database file (a checkpoint, which runs in
 * the committing call and waits for the disk). SQLite's default, 1,000 pages (4 MiB), checkpointed
 * every tenth of a second under a webhook burst: each insert dirties index pages at random places,
 * and a checkpoint's wait for the disk stalls the event loop. At 16,000 pages (64 MiB) it runs a
 * sixteenth as often and copies a page written by many commits once: the webhook's insert costs
 * about a quarter less (docs/benchmarks.md). The WAL file is cut back to that size after each one.
 * In a serving process the checkpointer's thread has copied nearly all of it by then; this
 * connection's own checkpoint is what starts the WAL file over.
 */
const WAL_CHECKPOINT_PAGES = 16_000;

function openSqlite(path: string, checkpointInBackground: boolean): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  // WAL lets readers run beside the writer; NORMAL syncs at checkpoints, so a committed event
  // survives a crash of the process (not of the machine's power; use PostgreSQL for that).
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  database.pragma(`cache_size = -${SQLITE_PAGE_CACHE_KIB}`);
  database.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  database.pragma(`journal_size_limit = ${WAL_CHECKPOINT_PAGES * 4096}`);
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(database, 500) }) });
  const checkpointer = checkpointInBackground && path !== ':memory:' ? startCheckpointer(path) : undefined;
  return {
    db,
    dialect: 'sqlite',
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/**
 * Kysely asks better-sqlite3 to prepare (compile) every query anew, which cost as much as running
 * it on the engine's hot path. The compiled statement is reused per SQL text instead (least
 * recently used dropped past `size`). Safe because Kysely runs one statement at a time on SQLite.
 */
function withStatementCache(database: BetterSqlite3.Database, size: number): SqliteDatabase {
  return { close: () => database.close(), prepare: boundedCache(size, (text: string) => database.prepare(text)) };
}

async function openPostgres(url: string, schema?: string): Promise<Store> {
  if (schema) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema))
      throw new SnowlineError('store.bad_schema', `invalid PostgreSQL schema name ${schema}`);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.end();
  }
  const pool = new pg.Pool({ ...postgresConnection(url, schema), max: 10 });
  const db = new Kysely<Tables>({ dialect: new OwnSchemaPostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

/**
 * How to reach the store's PostgreSQL schema. Connections made beside the pool (the leader's
 * session lock) use it too, so they see the same schema.
 */
export function postgresConnection(url: string, schema?: string): pg.ClientConfig {
  return { connectionString: url, ...(schema ? { options: `-c search_path=${schema}` } : {}) };
}

async function migrate(store: Store): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(store.dialect) };
  // Kysely looks for its bookkeeping tables in every schema unless told which one; name ours, so a
  // second Snowline schema in the same database is not mistaken for this one.
  const migrationTableSchema = store.dialect === 'postgres' ? await currentSchema(store.db) : undefined;
  await refuseNewerStore(store.db, Object.keys(migrations(store.dialect)), migrationTableSchema);
  const { error, results } = await new Migrator({ db: store.db, provider, migrationTableSchema }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new SnowlineError('store.migration_failed', `migration ${failed} failed`, { cause: error });
  }
  await recordStoreVersion(store.db);
}

async function currentSchema(db: Db): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]!.schema;
}
