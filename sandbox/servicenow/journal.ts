import { fieldOf } from '../../connectors/servicenow/dictionary';
import { newRecord, type WriteStamp } from './new-record';
import type { RecordStore, RecordValues } from './record-store';
import { userByName } from './sys-user';

/** The journal field that shows both customer-visible comments and work notes. */
const COMBINED = 'comments_and_work_notes';

/** docs/servicenow-behaviour.md §3.6: a journal write appends a `sys_journal_field` row; the record's field itself stays `""`. */
export function appendJournalEntry(
  store: RecordStore,
  entry: { table: string; elementId: string; element: string; value: string },
  stamp: WriteStamp,
): void {
  const values = { element: entry.element, element_id: entry.elementId, name: entry.table, value: entry.value };
  store.put(newRecord('sys_journal_field', values, stamp));
}

/**
 * A journal field rendered as with `sysparm_display_value=true`: its entries newest first, each as
 * `<date> - <user's name> (<field label>)\n<text>\n\n` [inf: the form's activity format].
 */
export function journalHistory(store: RecordStore, row: RecordValues, element: string): string {
  const elements = element === COMBINED ? ['comments', 'work_notes'] : [element];
  const table = row.sys_class_name ?? '';
  return entriesOf(store, row.sys_id ?? '', elements)
    .map((entry) => {
      const author = userByName(store, entry.sys_created_by ?? '')?.name || entry.sys_created_by;
      const label = fieldOf(table, entry.element ?? '')?.label ?? entry.element;
      return `${entry.sys_created_on} - ${author} (${label})\n${entry.value}\n\n`;
    })
    .join('');
}

function entriesOf(store: RecordStore, elementId: string, elements: string[]): RecordValues[] {
  return store
    .listWhere('sys_journal_field', 'element_id', elementId)
    .filter((entry) => elements.includes(entry.element ?? ''))
    .reverse()
    .sort((a, b) => (b.sys_created_on ?? '').localeCompare(a.sys_created_on ?? ''));
}
