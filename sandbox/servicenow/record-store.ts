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
 * Fields holding another record's sys_id that an instance indexes, by the table they are on: a
 * record's attachments and journal are read on every write-back, a change's approvals before each
 * of its steps, and these tables grow with every ticket, so a scan would make each read slower
 * than the last (the write-back bench's sandbox spent a third of its time in such scans).
 */
const INDEXED_FIELDS: Readonly<Record<string, string>> = {
  sys_attachment: 'table_sys_id',
  sys_attachment_doc: 'sys_attachment',
  sys_journal_field: 'element_id',
  sysapproval_approver: 'sysapproval',
};

/**
 * The instance's rows, in memory. Rows of extended tables are kept with their hierarchy's root
 * (`incident` with `task`, `cmdb_ci_linux_server` with `cmdb_ci`), so a parent table sees its
 * children's rows as on a real instance. Within a table, rows keep insertion order.
 */
export class RecordStore {
  private readonly byRoot = new Map<string, Map<string, RecordValues>>();
  private readonly counters = new Map<string, number>();
  /** The index of each root table with an indexed field (INDEXED_FIELDS), made on its first row. */
  private readonly indexes = new Map<string, FieldIndex>();

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

  /** The field of `table` the store keeps an index on, if any (see INDEXED_FIELDS). */
  indexedField(table: string): string | undefined {
    return INDEXED_FIELDS[rootOf(table)];
  }

  /** The rows of `table` (and of the tables extending it) whose `field` is `value`, oldest first. */
  listWhere(table: string, field: string, value: string): RecordValues[] {
    const root = rootOf(table);
    if (this.indexedField(table) !== field) return this.list(table).filter((row) => row[field] === value);
    const rows = this.byRoot.get(root);
    return (this.indexes.get(root)?.idsOf(value) ?? [])
      .map((id) => rows!.get(id)!)
      .filter((row) => isInstanceOf(row.sys_class_name ?? '', table));
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
    const root = rootOf(table);
    this.persistence.deleteRecord(root, sysId);
    this.indexes.get(root)?.delete(this.byRoot.get(root)!.get(sysId)!);
    this.byRoot.get(root)?.delete(sysId);
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
    this.indexes.clear();
  }

  private keep(root: string, row: RecordValues): void {
    let rows = this.byRoot.get(root);
    if (!rows) this.byRoot.set(root, (rows = new Map()));
    const sysId = row.sys_id ?? '';
    const index = this.indexOf(root);
    const before = rows.get(sysId);
    if (before) index?.remove(before);
    rows.set(sysId, row);
    index?.add(row);
  }

  private indexOf(root: string): FieldIndex | undefined {
    const field = INDEXED_FIELDS[root];
    if (!field) return undefined;
    let index = this.indexes.get(root);
    if (!index) this.indexes.set(root, (index = new FieldIndex(field)));
    return index;
  }
}

/**
 * One table's rows by the value of one field: their sys_ids, answered in the order the rows were
 * first stored (a row whose value changes keeps its place), as a scan of the table would.
 */
class FieldIndex {
  private readonly byValue = new Map<string, Set<string>>();
  private readonly places = new Map<string, number>();
  private nextPlace = 0;

  constructor(private readonly field: string) {}

  add(row: RecordValues): void {
    const sysId = row.sys_id ?? '';
    if (!this.places.has(sysId)) this.places.set(sysId, this.nextPlace++);
    const value = row[this.field] ?? '';
    this.byValue.set(value, (this.byValue.get(value) ?? new Set()).add(sysId));
  }

  /** Takes the row out of its value's entry, before it is replaced: its place stays. */
  remove(row: RecordValues): void {
    const value = row[this.field] ?? '';
    const ids = this.byValue.get(value);
    ids?.delete(row.sys_id ?? '');
    if (ids?.size === 0) this.byValue.delete(value);
  }

  /** Takes a deleted row out, place and all. */
  delete(row: RecordValues): void {
    this.remove(row);
    this.places.delete(row.sys_id ?? '');
  }

  idsOf(value: string): string[] {
    return [...(this.byValue.get(value) ?? [])].sort((a, b) => this.places.get(a)! - this.places.get(b)!);
  }
}
