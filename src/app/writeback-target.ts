import {
  attachItem,
  attachmentsOfItem,
  listAttachmentsItem,
  recordOfItem,
  updateItem,
} from '../../connectors/servicenow/batch-items';
import type { BatchItem, BatchOutcome, ServiceNowClient } from '../../connectors/servicenow/client';
import { classifyError, CONNECTOR } from '../../connectors/servicenow/errors';
import { asInt, type AttachmentInfo } from '../../connectors/servicenow/schemas';
import { sendCalls, type AttachmentProbe, type BatchTarget, type WritebackCall } from '../engine/writeback-target';
import type { WritebackCallResult, WritebackTarget } from '../engine/writeback-target';
import { ConnectorError } from '../errors';
import type { Logger } from '../observability/logger';
import { recordTarget } from '../slo/slo-service';

/** What a write-back PATCH asks back: enough to know which version it made. */
const WRITTEN_FIELDS = ['sys_id', 'sys_mod_count'];
/** File bytes one batch carries at most (Base64 in the request); larger sets are split. */
const BATCH_FILE_BUDGET_BYTES = 8 * 1024 * 1024;

export interface WritebackTargetOptions {
  /** Several calls in one `POST /api/now/v1/batch`; off = one request per call. */
  batch: { enabled: boolean; maxItems: number };
  /** The instance's transaction quota: it cuts a batch (docs/servicenow-behaviour.md §6.5) and ends a write in doubt. */
  quotaMs: number;
  logger: Logger;
}

/** The outbox's view of ServiceNow: the client's Table, Attachment and Batch APIs. */
export function serviceNowWritebackTarget(client: ServiceNowClient, options: WritebackTargetOptions): WritebackTarget {
  // A third past the quota, for the item in hand when the quota struck to finish.
  const settleMs = Math.round((options.quotaMs * 4) / 3);
  const settled = <T>(write: () => Promise<T>) => untilSettled(write, settleMs);
  const records = recordTarget(client);
  const single: WritebackTarget = {
    settleMs,
    patch: (table, sysId, fields) =>
      settled(async () => {
        const record = await client.update(table, sysId, fields, { fields: WRITTEN_FIELDS });
        return { modCount: asInt(record.sys_mod_count) ?? -1 };
      }),
    async journalContains(table, sysId, marker) {
      const entries = await client.journalEntries(sysId, 'work_notes', { table, limit: 100 });
      return entries.some((e) => e.value.includes(marker));
    },
    classify: classifyError,
    records: { ...records, insert: (table, fields) => settled(() => records.insert(table, fields)) },
    attachments: {
      attach: (table, sysId, file) =>
        settled(async () => {
          await client.attach(table, sysId, file.file_name, file.content_type, Buffer.from(file.content, 'utf8'));
        }),
      async has(table, sysId, file) {
        return holdsFile(await client.listAttachments(table, sysId, { hash: file.sha256, limit: 100 }), file);
      },
    },
  };
  if (!options.batch.enabled) return single;
  return { ...single, batch: batchTarget(client, single, { ...options, settleMs }) };
}

/**
 * A write whose answer was lost (a timeout, a dropped connection) may be carried out later still:
 * the instance runs a request it has queued after its caller gave up. Its ticket is read (and the
 * write retried) only once the quota would have ended it; read sooner, a write applied late would
 * be sent a second time.
 */
async function untilSettled<T>(write: () => Promise<T>, settleMs: number): Promise<T> {
  const sentAt = Date.now();
  try {
    return await write();
  } catch (error) {
    if (classifyError(error) !== 'ambiguous') throw error;
    throw inDoubt(error, sentAt + settleMs, 'write_in_doubt', 'it may still be carried out');
  }
}

/** Whether a record's attachments hold the file: by hash, or by name and size where the instance keeps no hash. */
function holdsFile(found: readonly AttachmentInfo[], file: AttachmentProbe): boolean {
  // An instance that keeps no hash drops the unknown term and lists every attachment of the record.
  const sameFile = (a: AttachmentInfo) =>
    a.fileName === file.fileName && (a.sizeBytes === undefined || a.sizeBytes === file.sizeBytes);
  return found.some((a) => a.hash === file.sha256 || (a.hash === '' && sameFile(a)));
}

function batchTarget(
  client: ServiceNowClient,
  single: WritebackTarget,
  options: WritebackTargetOptions & { settleMs: number },
): BatchTarget {
  const { maxItems } = options.batch;
  const { settleMs } = options;

  /** One batch request; a refusal of the Batch API itself (not allowed for this user) falls back to single calls. */
  async function sendBatch(calls: readonly WritebackCall[]): Promise<WritebackCallResult[]> {
    const built = calls.map((call, i) => buildItem(`c${i}`, call, client.config.attachmentMaxBytes));
    const items = built.filter((b): b is BatchItem => !(b instanceof Error));
    let outcome: BatchOutcome;
    const startedAt = Date.now();
    try {
      outcome = await client.batch(items);
    } catch (error) {
      const failure = classifyError(error);
      if (failure === 'ambiguous')
        return calls.map(() => ({
          kind: 'failed',
          error: inDoubt(error, startedAt + settleMs, 'batch_in_doubt', 'its items may still run'),
        }));
      if (failure === 'permanent') {
        options.logger.warn('the Batch API refused the batch; sending its calls one by one', {
          error: (error as Error).message,
        });
        return sendCalls(single, calls);
      }
      return calls.map(() => ({ kind: 'failed', error }));
    }
    return calls.map((call, i) => {
      const item = built[i]!;
      if (item instanceof Error) return { kind: 'failed', error: item };
      const result = outcome.results.get(item.id);
      if (!result) return { kind: 'unserviced' };
      if (!result.ok) return { kind: 'failed', error: result.error };
      return resultOf(call, result.body);
    });
  }

  return {
    maxItems,
    async send(calls) {
      const chunks = chunked(calls, maxItems);
      // A call left alone goes as itself: a batch of one costs the same request and more work.
      const results = await Promise.all(chunks.map((c) => (c.length === 1 ? sendCalls(single, c) : sendBatch(c))));
      return results.flat();
    },
  };
}

/**
 * A write (or a batch) whose answer was lost. A batch's items run one after another and a dropped
 * connection does not stop them, nor a request the instance queued: the tickets are read (and the
 * calls retried) only at `settledAt`, when the quota has ended them.
 */
function inDoubt(error: unknown, settledAt: number, code: string, still: string): ConnectorError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ConnectorError(
    CONNECTOR,
    'ambiguous',
    code,
    `the answer was lost (${reason}); ${still} until the instance's transaction quota ends`,
    {
      retryAfterMs: Math.max(0, settledAt - Date.now()),
      cause: error,
    },
  );
}

/** The item for a call, or the error that refused it before anything was sent. */
function buildItem(id: string, call: WritebackCall, maxBytes: number): BatchItem | Error {
  try {
    switch (call.kind) {
      case 'patch':
        return updateItem(id, call.table, call.sysId, call.fields, { fields: WRITTEN_FIELDS });
      case 'find-attachment':
        return listAttachmentsItem(id, call.table, call.sysId, { hash: call.probe.sha256, limit: 100 });
      case 'attach': {
        const { file_name, content_type, content } = call.file;
        const file = { fileName: file_name, contentType: content_type, bytes: Buffer.from(content, 'utf8') };
        return attachItem(id, call.table, call.sysId, file, maxBytes);
      }
    }
  } catch (error) {
    return error as Error;
  }
}

/** A serviced item's answer read as the single call's would be. */
function resultOf(call: WritebackCall, body: unknown): WritebackCallResult {
  try {
    switch (call.kind) {
      case 'patch':
        return { kind: 'done', modCount: asInt(recordOfItem(body).sys_mod_count) ?? -1 };
      case 'find-attachment':
        return { kind: 'done', found: holdsFile(attachmentsOfItem(body), call.probe) };
      case 'attach':
        return { kind: 'done' };
    }
  } catch (error) {
    return { kind: 'failed', error };
  }
}

/** Calls split into batches of at most `maxItems`, each carrying at most the file budget (a larger file goes alone). */
function chunked(calls: readonly WritebackCall[], maxItems: number): WritebackCall[][] {
  const chunks: WritebackCall[][] = [];
  let current: WritebackCall[] = [];
  let bytes = 0;
  for (const call of calls) {
    const size = call.kind === 'attach' ? Buffer.byteLength(call.file.content, 'utf8') : 0;
    if (current.length >= maxItems || (current.length > 0 && bytes + size > BATCH_FILE_BUDGET_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(call);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
