import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { NotFoundError } from '../../src/errors';
import { newRecord, writeStamp } from './new-record';
import type { RecordStore, RecordValues } from './record-store';
import { userByName } from './sys-user';
import { docOf, removeAttachment } from './attachment-rows';
import type { TableService } from './table-service';

/** A file to attach to a record (docs/servicenow-behaviour.md §6.2 `POST /api/now/attachment/file`). */
export interface NewAttachment {
  tableName: string;
  tableSysId: string;
  fileName: string;
  contentType: string;
  bytes: Buffer;
}

/**
 * Attachments as the instance keeps them: metadata in `sys_attachment`, the bytes (Base64) in
 * `sys_attachment_doc`. Attaching needs the target record to exist (404 otherwise, docs/servicenow-behaviour.md §6.2).
 */
export class AttachmentService {
  constructor(
    private readonly store: RecordStore,
    private readonly tables: TableService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  add(file: NewAttachment, user: string): RecordValues {
    this.tables.get(file.tableName, file.tableSysId);
    const stamp = writeStamp(user, this.now());
    const meta = newRecord(
      'sys_attachment',
      {
        file_name: file.fileName,
        content_type: file.contentType,
        size_bytes: String(file.bytes.length),
        size_compressed: String(gzipSync(file.bytes).length),
        table_name: file.tableName,
        table_sys_id: file.tableSysId,
        // Set by the platform on upload: the SHA-256 (hex) of the content, which clients compare before re-uploading.
        hash: createHash('sha256').update(file.bytes).digest('hex'),
      },
      stamp,
    );
    this.store.put(meta);
    this.store.put(
      newRecord(
        'sys_attachment_doc',
        { sys_attachment: meta.sys_id ?? '', length: String(file.bytes.length), data: file.bytes.toString('base64') },
        stamp,
      ),
    );
    return meta;
  }

  /** The metadata of attachment `sysId`; NotFoundError when there is none. */
  get(sysId: string): RecordValues {
    const meta = this.store.get('sys_attachment', sysId);
    if (!meta) throw new NotFoundError('attachment', sysId);
    return meta;
  }

  content(sysId: string): Buffer {
    this.get(sysId);
    return Buffer.from(this.doc(sysId)?.data ?? '', 'base64');
  }

  remove(sysId: string): void {
    this.get(sysId);
    removeAttachment(this.store, sysId);
  }

  /**
   * The metadata as the Attachment API shows it: raw strings, a `download_link`, and the names of
   * the users who created and last updated it.
   */
  view(meta: RecordValues, baseUrl: string): Record<string, string> {
    const nameOf = (userName: string | undefined) => userByName(this.store, userName ?? '')?.name ?? userName ?? '';
    const fields = [
      'sys_id',
      'file_name',
      'content_type',
      'size_bytes',
      'size_compressed',
      'compressed',
      'table_name',
      'table_sys_id',
      'hash',
      'state',
      'chunk_size_bytes',
    ];
    const system = [
      'sys_created_on',
      'sys_created_by',
      'sys_updated_on',
      'sys_updated_by',
      'sys_mod_count',
      'sys_tags',
      'image_height',
      'image_width',
      'average_image_color',
    ];
    return {
      ...Object.fromEntries([...fields, ...system].map((name) => [name, meta[name] ?? ''])),
      download_link: `${baseUrl}/api/now/attachment/${meta.sys_id}/file`,
      created_by_name: nameOf(meta.sys_created_by),
      updated_by_name: nameOf(meta.sys_updated_by),
    };
  }

  private doc(sysId: string): RecordValues | undefined {
    return docOf(this.store, sysId);
  }
}
