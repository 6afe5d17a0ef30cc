import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ConfigError } from '../src/errors';
import type { RecordValues } from './servicenow/record-store';

/** Keep the store in memory only (tests, throw-away sandboxes). */
export const IN_MEMORY = ':memory:';

/**
 * Bumped when the tables below change shape; a file of format 1 (the controller's jobs in one
 * document) is brought up to date on opening, anything else is refused with a clear message.
 */
const FORMAT_VERSION = 2;

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
  CREATE TABLE IF NOT EXISTS controller_items (
    kind TEXT NOT NULL,
    id INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
  );
`;

const CONTROLLER_KINDS = ['jobs', 'workflowJobs', 'labels'] as const;

/**
 * The controller as the store keeps it: its id counters, and its items by kind (`jobs`,
 * `workflowJobs`, `labels`), each saved as its own row so that a change writes only what changed.
 */
export type ControllerDocument = Record<string, unknown> & {
  [kind in (typeof CONTROLLER_KINDS)[number]]?: { id: number }[];
};

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
      this.statements = this.prepare();
      this.checkFormat();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError([`sandbox.store: cannot open ${path} as the sandbox store: ${(err as Error).message}`]);
    }
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

  /** The controller as saved (its counters and every item), or undefined before the first save. */
  controllerState(): ControllerDocument | undefined {
    const row = this.statements.getMeta.get('awx') as { value: string } | undefined;
    if (!row) return undefined;
    const state: ControllerDocument = { ...(JSON.parse(row.value) as object) };
    for (const kind of CONTROLLER_KINDS) state[kind] = [];
    const items = this.db.prepare('SELECT kind, data FROM controller_items ORDER BY kind, id').all() as {
      kind: (typeof CONTROLLER_KINDS)[number];
      data: string;
    }[];
    for (const { kind, data } of items) state[kind]?.push(JSON.parse(data) as { id: number });
    return state;
  }

  /** Saves the controller's counters and the items given (those changed), in one transaction. */
  saveControllerChanges(changes: ControllerDocument): void {
    this.db.transaction(() => {
      const counters: Record<string, unknown> = { ...changes };
      for (const kind of CONTROLLER_KINDS) {
        delete counters[kind];
        for (const item of changes[kind] ?? []) this.statements.putItem.run(kind, item.id, JSON.stringify(item));
      }
      this.statements.setMeta.run('awx', JSON.stringify(counters));
    })();
  }

  /** Removes every record and the controller's jobs; counters stay. */
  clearRecords(): void {
    this.db.exec("DELETE FROM records; DELETE FROM controller_items; DELETE FROM meta WHERE key = 'awx';");
  }

  /** Runs `work` in one transaction (seeding hundreds of rows, a reset). */
  transaction(work: () => void): void {
    this.db.transaction(work)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private checkFormat(): void {
    const row = this.statements.getMeta.get('format') as { value: string } | undefined;
    if (!row) {
      this.statements.setMeta.run('format', String(FORMAT_VERSION));
      return;
    }
    if (row.value === '1') return this.fromFormat1();
    if (row.value !== String(FORMAT_VERSION))
      throw new ConfigError([
        `sandbox.store: ${this.path} is a sandbox store of format ${row.value}; this version reads format ${FORMAT_VERSION} (remove the file or reset the sandbox)`,
      ]);
  }

  /** Format 1 kept the controller in one document, rewritten whole on every change: its items become rows. */
  private fromFormat1(): void {
    this.db.transaction(() => {
      const row = this.statements.getMeta.get('awx') as { value: string } | undefined;
      if (row) this.saveControllerChanges(JSON.parse(row.value) as ControllerDocument);
      this.statements.setMeta.run('format', String(FORMAT_VERSION));
    })();
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
      putItem: this.db.prepare(
        'INSERT INTO controller_items (kind, id, data) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data',
      ),
      setMeta: this.db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    };
  }
}
