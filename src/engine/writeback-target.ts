import { SnowlineError, type FailureClass } from '../errors';
import type { OutboxAttachment } from './job-output';

/** Where write-backs go: ServiceNow, through the connector's client (rate-limited there). */
export interface WritebackTarget {
  /** One PATCH with every field and the work note; returns the record's new sys_mod_count. */
  patch(table: string, sysId: string, fields: Record<string, string>): Promise<{ modCount: number }>;
  /** Whether the record's journal already holds an entry containing `marker`. */
  journalContains(table: string, sysId: string, marker: string): Promise<boolean>;
  classify(error: unknown): FailureClass;
  /** Uploads files (job output); without it, attachment entries fail (nothing can upload them). */
  attachments?: AttachmentTarget;
  /** Creates records (alerts raised in ServiceNow); without it, insert entries fail. */
  records?: RecordTarget;
  /** Carries several calls in one request (ServiceNow's Batch API); without it, each call is a request. */
  batch?: BatchTarget;
  /**
   * How long after it was sent a write may still be carried out: a batch's items run one after
   * another, a request queued at the instance runs after its caller gave up, and neither a lost
   * answer nor the sender's death stops them. A write whose answer was lost is looked up again only
   * after this (the error of its call says when), and entries being delivered are held this long.
   */
  settleMs?: number;
}

/** The Table API's insert. Not idempotent, so a record whose insert may have happened is looked up by its sys_id first. */
export interface RecordTarget {
  /** Inserts the record with the sys_id in `fields`; returns its sys_mod_count. */
  insert(table: string, fields: Record<string, string>): Promise<{ modCount: number }>;
  exists(table: string, sysId: string): Promise<boolean>;
}

/** A file about to be attached, as the record's attachments are searched for it. */
export interface AttachmentProbe {
  fileName: string;
  sizeBytes: number;
  /** SHA-256 (hex) of the content: the `hash` an instance keeps on every attachment. */
  sha256: string;
}

/** The Attachment API. Uploading is not idempotent, so every upload is looked for on the record first. */
export interface AttachmentTarget {
  attach(table: string, sysId: string, file: OutboxAttachment): Promise<void>;
  /** Whether the record already holds this content (by hash; by name and size where the instance gives no hash). */
  has(table: string, sysId: string, file: AttachmentProbe): Promise<boolean>;
}

/** One call of a delivery; several may travel in one request. */
export type WritebackCall =
  | { kind: 'patch'; table: string; sysId: string; fields: Record<string, string> }
  | { kind: 'find-attachment'; table: string; sysId: string; probe: AttachmentProbe }
  | { kind: 'attach'; table: string; sysId: string; file: OutboxAttachment };

/**
 * What became of one call. `unserviced`: the instance never ran it (a batch cut by its time
 * quota), so it may be sent again as if never tried.
 */
export type WritebackCallResult =
  { kind: 'done'; modCount?: number; found?: boolean } | { kind: 'failed'; error: unknown } | { kind: 'unserviced' };

/** ServiceNow's Batch API (docs/servicenow-behaviour.md §6.5) as the outbox sees it. */
export interface BatchTarget {
  /** Most calls one request carries. */
  maxItems: number;
  /**
   * Sends the calls in as few requests as it can, one result per call in order. A request that
   * failed as a whole fails each of its calls with its error, classified as for one request.
   */
  send(calls: readonly WritebackCall[]): Promise<WritebackCallResult[]>;
}

/** Sends calls through the batch target when there are several, else one request each (all at once). */
export async function sendCalls(
  target: WritebackTarget,
  calls: readonly WritebackCall[],
): Promise<WritebackCallResult[]> {
  if (calls.length === 0) return [];
  if (target.batch && calls.length > 1) return target.batch.send(calls);
  return Promise.all(calls.map((call) => sendOne(target, call)));
}

async function sendOne(target: WritebackTarget, call: WritebackCall): Promise<WritebackCallResult> {
  try {
    if (call.kind === 'patch')
      return { kind: 'done', modCount: (await target.patch(call.table, call.sysId, call.fields)).modCount };
    const attachments = target.attachments;
    if (!attachments) return { kind: 'failed', error: NO_ATTACHMENT_TARGET };
    if (call.kind === 'find-attachment')
      return { kind: 'done', found: await attachments.has(call.table, call.sysId, call.probe) };
    await attachments.attach(call.table, call.sysId, call.file);
    return { kind: 'done' };
  } catch (error) {
    return { kind: 'failed', error };
  }
}

export const NO_ATTACHMENT_TARGET = new SnowlineError(
  'writeback.no_attachment_target',
  'no attachment target is configured',
);
