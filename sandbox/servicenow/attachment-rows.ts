import type { RecordStore, RecordValues } from './record-store';

/** The rows behind an attachment (sys_attachment and its sys_attachment_doc), shared by the attachment API and record deletion. */
export function docOf(store: RecordStore, sysId: string): RecordValues | undefined {
  return store.listWhere('sys_attachment_doc', 'sys_attachment', sysId)[0];
}

export function removeAttachment(store: RecordStore, sysId: string): void {
  const doc = docOf(store, sysId);
  if (doc) store.delete('sys_attachment_doc', doc.sys_id ?? '');
  store.delete('sys_attachment', sysId);
}

/** Deleting a record deletes its attachments, as the platform's cascade does. */
export function removeAttachmentsOf(store: RecordStore, table: string, sysId: string): void {
  for (const meta of store.listWhere('sys_attachment', 'table_sys_id', sysId))
    removeAttachment(store, meta.sys_id ?? '');
}
