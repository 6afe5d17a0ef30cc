import { fieldsOf, getTable, rootOf } from '../../connectors/servicenow/dictionary';
import { NotFoundError } from '../../src/errors';
import { removeAttachmentsOf } from './attachment-rows';
import { InvalidTableError } from './errors/invalid-table.error';
import { isSysId } from './glide-values';
import { appendJournalEntry } from './journal';
import { newRecord, writeStamp, type WriteStamp } from './new-record';
import { readRecordInput, type RecordInput } from './record-input';
import type { RecordStore, RecordValues } from './record-store';
import { applyBeforeRules } from './rules/before-rules';
import { userByName } from './sys-user';

/** A saved insert or update, as after-rules (the Business Rule emulation) see it. */
export interface RecordWrite {
  kind: 'inserted' | 'updated';
  /** The record's concrete class. */
  table: string;
  record: RecordValues;
  /** Fields whose value changed, journal fields written included. */
  changedFields: string[];
}

/** Who writes through the Table API, and how its body is to be read. */
export interface WriteContext {
  /** The authenticated user_name; it becomes `sys_created_by` / `sys_updated_by`. */
  user: string;
  /** `sysparm_input_display_value=true`. */
  inputDisplayValue: boolean;
}

/** What the table service is built from. */
export interface TableServiceDeps {
  store: RecordStore;
  /** docs/servicenow-behaviour.md §3.2 incident data policy on (default) or off. */
  dataPolicy: boolean;
  /** Called synchronously after each saved insert or update. */
  onWrite: (write: RecordWrite) => void;
  now?: () => Date;
}

/**
 * Reads and writes records as GlideRecord does behind the Table API: table and record checks,
 * defaults, numbers, before-rules, journal entries, system fields, then the after-write hook.
 */
export class TableService {
  private readonly now: () => Date;

  constructor(private readonly deps: TableServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Throws InvalidTableError unless the instance has `table`. */
  requireTable(table: string): void {
    if (!getTable(table)) throw new InvalidTableError(table);
  }

  /** The record `sysId` of `table` (or of a table extending it); NotFoundError otherwise. */
  get(table: string, sysId: string): RecordValues {
    this.requireTable(table);
    const row = this.deps.store.get(table, sysId);
    if (!row) throw new NotFoundError('record', sysId);
    return row;
  }

  insert(table: string, body: Record<string, unknown>, ctx: WriteContext): RecordValues {
    this.requireTable(table);
    const { store } = this.deps;
    const input = readRecordInput(store, table, body, ctx);
    const stamp = this.stamp(ctx.user);
    const next = newRecord(table, input.values, stamp, this.requestedSysId(table, body.sys_id));
    applyBeforeRules(table, next, undefined, this.actor(stamp), this.deps);
    if (!next.number) next.number = store.nextNumber(table) ?? '';
    return this.save(next, undefined, input, stamp);
  }

  /** PUT and PATCH alike (docs/servicenow-behaviour.md §1.1): a partial update of the supplied fields. */
  update(table: string, sysId: string, body: Record<string, unknown>, ctx: WriteContext): RecordValues {
    const previous = this.get(table, sysId);
    const input = readRecordInput(this.deps.store, table, body, ctx);
    const stamp = this.stamp(ctx.user);
    const next = { ...previous, ...input.values };
    applyBeforeRules(previous.sys_class_name ?? table, next, previous, this.actor(stamp), this.deps);
    // An update that changes nothing is not saved: no new sys_mod_count, no business rule.
    if (input.journal.length === 0 && changedFields(next, previous).length === 0) return previous;
    next.sys_updated_on = stamp.on;
    next.sys_updated_by = stamp.user;
    next.sys_mod_count = String(Number(previous.sys_mod_count ?? '0') + 1);
    return this.save(next, previous, input, stamp);
  }

  delete(table: string, sysId: string): void {
    const row = this.get(table, sysId);
    this.deps.store.delete(table, sysId);
    removeAttachmentsOf(this.deps.store, row.sys_class_name ?? table, sysId);
  }

  private save(
    next: Record<string, string>,
    previous: RecordValues | undefined,
    input: RecordInput,
    stamp: WriteStamp,
  ): RecordValues {
    const { store } = this.deps;
    const table = next.sys_class_name ?? '';
    const elementId = next.sys_id ?? '';
    store.put(next);
    for (const entry of input.journal) appendJournalEntry(store, { table, elementId, ...entry }, stamp);
    const journalFields = [...new Set(input.journal.map((entry) => entry.element))];
    const changed = [...changedFields(next, previous), ...journalFields];
    this.deps.onWrite({ kind: previous ? 'updated' : 'inserted', table, record: next, changedFields: changed });
    return next;
  }

  /**
   * A sys_id supplied on insert is kept exactly as given (upper-case hex too, as clients that derive
   * ids from GUIDs send them) when it is 32 hex characters and free [inf]; otherwise one is made.
   */
  private requestedSysId(table: string, requested: unknown): string | undefined {
    if (typeof requested !== 'string' || !isSysId(requested.toLowerCase())) return undefined;
    return this.deps.store.get(rootOf(table), requested) ? undefined : requested;
  }

  private stamp(user: string): WriteStamp {
    return writeStamp(user, this.now());
  }

  private actor(stamp: WriteStamp) {
    return { userSysId: userByName(this.deps.store, stamp.user)?.sys_id ?? '', on: stamp.on };
  }
}

/** Non-system fields of the record's class whose value differs from before (on insert: from empty). */
function changedFields(next: RecordValues, previous: RecordValues | undefined): string[] {
  return fieldsOf(next.sys_class_name ?? '')
    .filter((f) => !f.name.startsWith('sys_') && f.type !== 'journal')
    .map((f) => f.name)
    .filter((name) => (next[name] ?? '') !== (previous?.[name] ?? ''));
}
