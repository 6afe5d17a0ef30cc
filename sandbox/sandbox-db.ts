import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ConfigError } from '../src/errors';
import type { RecordValues } from './servicenow/record-store';

/** Keep the store in memory only (tests, throw-away sandboxes). */
export const IN_MEMORY = ':memory:';

/** Bumped when the tables below change shape; an older file is refused with a clear message. */
const FORMAT_VERSION = 1;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS records (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    root TEXT NOT NULL,
    sys_id TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (root, sys_id)
  );
  CREATE TABLE IF NOT EXISTS counters (tbl TEXT PRIMARY KEY, next INTEGER NOT NULL);
`;

/** A stored row with the root table of its hierarchy. */
export interface StoredRow {
  root: string;
  row: RecordValues;
}

/**
 * The sandbox's own SQLite file (default `data/snowline.sandbox.db`, next to Snowline's store): every record
 * of the simulated instance, the number counters and the controller's jobs. Records are written
 * through on each change (better-sqlite3 is synchronous), so a crash loses nothing a client was
 * told about. Counters survive a reset: a number once handed out is never handed out again.
 */
export class SandboxDb {
  private readonly db: BetterSqlite3.Database;
  private readonly statements: ReturnType<SandboxDb['prepare']>;

  constructor(readonly path: string) {
    try {
      if (path !== IN_MEMORY) mkdirSync(dirname(path), { recursive: true });
      this.db = new BetterSqlite3(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
      this.checkFormat();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError([`sandbox.store: cannot open ${path} as the sandbox store: ${(err as Error).message}`]);
    }
    this.statements = this.prepare();
  }

  /** True until the first record is written: the sandbox then seeds its base data. */
  isEmpty(): boolean {
    return this.db.prepare('SELECT 1 FROM records LIMIT 1').get() === undefined;
  }

  /** Every record, in insertion order. */
  records(): StoredRow[] {
    const rows = this.db.prepare('SELECT root, data FROM records ORDER BY position').all() as {
      root: string;
      data: string;
    }[];
    return rows.map(({ root, data }) => ({ root, row: JSON.parse(data) as RecordValues }));
  }

  counters(): Map<string, number> {
    const rows = this.db.prepare('SELECT tbl, next FROM counters').all() as { tbl: string; next: number }[];
    return new Map(rows.map((r) => [r.tbl, r.next]));
  }

  /** Inserts or replaces a record; a replaced record keeps its place in the insertion order. */
  putRecord(root: string, row: RecordValues): void {
    this.statements.put.run(root, row.sys_id ?? '', JSON.stringify(row));
  }

  deleteRecord(root: string, sysId: string): void {
    this.statements.delete.run(root, sysId);
  }

  setCounter(table: string, next: number): void {
    this.statements.counter.run(table, next);
  }

  /** The controller's saved jobs (JSON), or undefined before the first save. */
  controllerState(): unknown {
    const row = this.statements.getMeta.get('awx') as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as unknown) : undefined;
  }

  saveControllerState(state: unknown): void {
    this.statements.setMeta.run('awx', JSON.stringify(state));
  }

  /** Removes every record and the controller's jobs; counters stay. */
  clearRecords(): void {
    this.db.exec("DELETE FROM records; DELETE FROM meta WHERE key = 'awx';");
  }

  /** Runs `work` in one transaction (seeding hundreds of rows, a reset). */
  transaction(work: () => void): void {
    this.db.transaction(work)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private checkFormat(): void {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined;
    if (!row) {
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('format', ?)").run(String(FORMAT_VERSION));
      return;
    }
    if (row.value !== String(FORMAT_VERSION))
      throw new ConfigError([
        `sandbox.store: ${this.path} is a sandbox store of format ${row.value}; this version reads format ${FORMAT_VERSION} (remove the file or reset the sandbox)`,
      ]);
  }

  private prepare() {
    return {
      put: this.db.prepare(
        'INSERT INTO records (root, sys_id, data) VALUES (?, ?, ?) ON CONFLICT (root, sys_id) DO UPDATE SET data = excluded.data',
      ),
      delete: this.db.prepare('DELETE FROM records WHERE root = ? AND sys_id = ?'),
      counter: this.db.prepare(
        'INSERT INTO counters (tbl, next) VALUES (?, ?) ON CONFLICT (tbl) DO UPDATE SET next = excluded.next',
      ),
      getMeta: this.db.prepare('SELECT value FROM meta WHERE key = ?'),
      setMeta: this.db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    };
  }
}
