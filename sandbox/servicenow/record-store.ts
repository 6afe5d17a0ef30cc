import { getTable, isInstanceOf, rootOf } from '../../connectors/servicenow/dictionary';

/**
 * One record's raw values, every one a string as on the wire (docs/servicenow-behaviour.md §1.4). `sys_class_name` names the
 * concrete table. Records handed out by the store are its own copies: treat them as read-only and
 * `put` a new object to change one.
 */
export type RecordValues = Readonly<Record<string, string>>;

/** Where the store writes each change through to (the sandbox's SQLite file, or nothing). */
export interface RecordPersistence {
  putRecord(root: string, row: RecordValues): void;
  deleteRecord(root: string, sysId: string): void;
  setCounter(table: string, next: number): void;
}

const NO_PERSISTENCE: RecordPersistence = {
  putRecord: () => undefined,
  deleteRecord: () => undefined,
  setCounter: () => undefined,
};

/**
 * The instance's rows, in memory. Rows of extended tables are kept with their hierarchy's root
 * (`incident` with `task`, `cmdb_ci_linux_server` with `cmdb_ci`), so a parent table sees its
 * children's rows as on a real instance. Within a table, rows keep insertion order.
 */
export class RecordStore {
  private readonly byRoot = new Map<string, Map<string, RecordValues>>();
  private readonly counters = new Map<string, number>();

  constructor(private readonly persistence: RecordPersistence = NO_PERSISTENCE) {}

  /** The row `sysId` if it is of class `table` or a class extending it. */
  get(table: string, sysId: string): RecordValues | undefined {
    const row = this.byRoot.get(rootOf(table))?.get(sysId);
    return row && isInstanceOf(row.sys_class_name ?? '', table) ? row : undefined;
  }

  /** Every row of `table` and of the tables extending it, oldest first. */
  list(table: string): RecordValues[] {
    const rows = this.byRoot.get(rootOf(table));
    if (!rows) return [];
    return [...rows.values()].filter((row) => isInstanceOf(row.sys_class_name ?? '', table));
  }

  /** Inserts or replaces a row (by its `sys_id`, in the hierarchy of its `sys_class_name`). */
  put(row: RecordValues): void {
    const root = rootOf(row.sys_class_name ?? '');
    this.persistence.putRecord(root, row);
    this.keep(root, row);
  }

  /** Removes a row of `table`; false when there was none. */
  delete(table: string, sysId: string): boolean {
    if (!this.get(table, sysId)) return false;
    this.persistence.deleteRecord(rootOf(table), sysId);
    this.byRoot.get(rootOf(table))?.delete(sysId);
    return true;
  }

  /** The next record number of `table` (`INC0010001`), or undefined for a table without numbers. */
  nextNumber(table: string): string | undefined {
    const def = getTable(table);
    if (!def?.numberPrefix) return undefined;
    const next = this.counters.get(table) ?? def.numberStart ?? 1;
    this.persistence.setCounter(table, next + 1);
    this.counters.set(table, next + 1);
    return `${def.numberPrefix}${String(next).padStart(7, '0')}`;
  }

  /** Loads saved rows and counters (at start-up; nothing is written back). */
  load(rows: Iterable<{ root: string; row: RecordValues }>, counters: Map<string, number>): void {
    for (const { root, row } of rows) this.keep(root, row);
    for (const [table, next] of counters) this.counters.set(table, next);
  }

  /** Forgets every row (a reset); counters stay, so numbers are never handed out twice. */
  clear(): void {
    this.byRoot.clear();
  }

  private keep(root: string, row: RecordValues): void {
    let rows = this.byRoot.get(root);
    if (!rows) this.byRoot.set(root, (rows = new Map()));
    rows.set(row.sys_id ?? '', row);
  }
}
