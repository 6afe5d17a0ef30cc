import { RecordStore, type RecordValues } from '../../../sandbox/servicenow/record-store';

/**
 * A record's attachments and journal entries are read by the record's sys_id on every write-back;
 * the store answers from an index kept through every insert, change, delete, reset and reload, and
 * must answer exactly what reading the whole table would.
 */
describe('the sandbox record store, rows by an indexed field', () => {
  const attachment = (sysId: string, tableSysId: string): RecordValues => ({
    sys_id: sysId,
    sys_class_name: 'sys_attachment',
    table_sys_id: tableSysId,
    file_name: `${sysId}.log`,
  });
  const scan = (store: RecordStore, value: string) =>
    store.list('sys_attachment').filter((row) => row.table_sys_id === value);

  it("finds a record's rows oldest first, as a scan of the table does", () => {
    const store = new RecordStore();
    for (const [id, ticket] of [
      ['a1', 'inc1'],
      ['a2', 'inc2'],
      ['a3', 'inc1'],
      ['a4', 'inc1'],
    ] as const)
      store.put(attachment(id, ticket));
    expect(store.indexedField('sys_attachment')).toBe('table_sys_id');
    expect(store.listWhere('sys_attachment', 'table_sys_id', 'inc1').map((r) => r.sys_id)).toEqual(['a1', 'a3', 'a4']);
    expect(store.listWhere('sys_attachment', 'table_sys_id', 'inc1')).toEqual(scan(store, 'inc1'));
    expect(store.listWhere('sys_attachment', 'table_sys_id', 'nothing')).toEqual([]);
  });

  it('follows a row whose field changed, keeping its place in insertion order', () => {
    const store = new RecordStore();
    store.put(attachment('a1', 'inc1'));
    store.put(attachment('a2', 'inc2'));
    store.put(attachment('a3', 'inc2'));
    store.put({ ...attachment('a1', 'inc2'), file_name: 'moved.log' });
    expect(store.listWhere('sys_attachment', 'table_sys_id', 'inc1')).toEqual([]);
    expect(store.listWhere('sys_attachment', 'table_sys_id', 'inc2').map((r) => r.sys_id)).toEqual(['a1', 'a2', 'a3']);
    expect(store.listWhere('sys_attachment', 'table_sys_id', 'inc2')).toEqual(scan(store, 'inc2'));
  });

  it('forgets deleted rows and, on a reset, everything; a reload indexes the loaded rows', () => {
    const store = new RecordStore();
    store.put(attachment('a1', 'inc1'));
    store.put(attachment('a2', 'inc1'));
    store.delete('sys_attachment', 'a1');
    expect(store.listWhere('sys_attachment', 'table_sys_id', 'inc1').map((r) => r.sys_id)).toEqual(['a2']);
    store.clear();
    expect(store.listWhere('sys_attachment', 'table_sys_id', 'inc1')).toEqual([]);
    store.load([{ root: 'sys_attachment', row: attachment('a9', 'inc1') }], new Map());
    expect(store.listWhere('sys_attachment', 'table_sys_id', 'inc1').map((r) => r.sys_id)).toEqual(['a9']);
  });

  it('reads a field it keeps no index on by scanning, with the same answer', () => {
    const store = new RecordStore();
    store.put(attachment('a1', 'inc1'));
    store.put(attachment('a2', 'inc1'));
    expect(store.indexedField('incident')).toBeUndefined();
    expect(store.listWhere('sys_attachment', 'file_name', 'a2.log').map((r) => r.sys_id)).toEqual(['a2']);
  });
});
