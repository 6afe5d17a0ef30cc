import { createHash } from 'node:crypto';
import { SnowlineError, type FailureClass } from '../errors';
import { withCorrelation } from '../observability/context';
import { runSpanIdOf } from '../observability/trace-ids';
import { inSpan } from '../observability/tracing';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Repositories } from '../store';
import type { OutboxEntry } from '../store/outbox.repository';
import { keepLease } from './lease-heartbeat';
import { outboxAttachmentSchema, type OutboxAttachment } from './job-output';
import { decideAfterFailure, type RetryPolicy } from './run-state-machine';

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

export interface OutboxSenderDeps {
  repos: Repositories;
  target: WritebackTarget;
  logger: Logger;
  metrics: Metrics;
  owner: string;
  /** The lease claimDue took; renewed while an entry is being sent, so no other instance sends it too. */
  leaseMs: number;
  /** Backoff delays; `maxAttempts`, when set, caps attempts too (else the deadline alone bounds them). */
  retry: Omit<RetryPolicy, 'maxAttempts'> & { maxAttempts?: number };
  /** How long after it was queued a write-back failing for reasons that may pass is retried; default 1 h. */
  deadlineMs?: number;
  now?: () => number;
  random?: () => number;
}

/**
 * Delivers write-backs at least once and applies them at most once: an entry found in state
 * `sending` (a crash, or an ambiguous failure, in the middle of a PATCH) is first looked up in the
 * ticket's journal by its marker and only re-sent when it is not there. An attachment entry found
 * in `sending` is looked for among the record's attachments by file name and size instead.
 */
/** Whether a failure certainly sent nothing: the connector says so in its details. */
function neverSent(err: unknown): boolean {
  return err instanceof SnowlineError && err.details.notSent === true;
}

export function createOutboxSender(deps: OutboxSenderDeps) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const deadlineMs = deps.deadlineMs ?? DEFAULT_WRITEBACK_DEADLINE_MS;
  const policy: RetryPolicy = { maxAttempts: Infinity, ...deps.retry };
  const { repos, target, logger, metrics } = deps;

  async function sendEntry(entry: OutboxEntry): Promise<void> {
    const heartbeat = keepLease(
      () => repos.outbox.extendLease(entry.id, deps.owner, now() + deps.leaseMs),
      deps.leaseMs,
      logger,
      { outboxId: entry.id, runId: entry.run_id },
    );
    try {
      if (entry.attachment !== null) await upload(entry, entry.attachment);
      else if (entry.operation === 'insert') await insert(entry);
      else await patch(entry);
    } finally {
      heartbeat.stop();
    }
  }

  async function patch(entry: OutboxEntry): Promise<void> {
    const fields = JSON.parse(entry.fields) as Record<string, string>;
    try {
      if (
        entry.state === 'sending' &&
        'work_notes' in fields &&
        (await target.journalContains(entry.table_name, entry.sys_id, entry.marker))
      ) {
        logger.info('write-back found in the journal; not sending it again', {
          runId: entry.run_id,
          ticket: entry.ticket_number,
        });
        await finish(entry, { state: 'sent', sent_at: now() }, 'already_delivered');
        return;
      }
      if (!(await repos.outbox.save(entry.id, deps.owner, { state: 'sending', attempts: entry.attempts + 1 }))) return;
      const { modCount } = await target.patch(entry.table_name, entry.sys_id, fields);
      await finish(entry, { state: 'sent', sent_at: now(), result_mod_count: modCount, last_error: null }, 'sent');
      logger.info('write-back sent', { runId: entry.run_id, ticket: entry.ticket_number });
    } catch (err) {
      await failed(entry, err);
    }
  }

  async function insert(entry: OutboxEntry): Promise<void> {
    const records = target.records;
    if (!records) return finish(entry, { state: 'failed', last_error: 'no record target is configured' }, 'failed');
    try {
      if (entry.state === 'sending' && (await records.exists(entry.table_name, entry.sys_id))) {
        logger.info('record found on the instance; not inserting it again', { ticket: entry.ticket_number });
        return finish(entry, { state: 'sent', sent_at: now() }, 'already_delivered');
      }
      if (!(await repos.outbox.save(entry.id, deps.owner, { state: 'sending', attempts: entry.attempts + 1 }))) return;
      const fields = JSON.parse(entry.fields) as Record<string, string>;
      const { modCount } = await records.insert(entry.table_name, { ...fields, sys_id: entry.sys_id });
      await finish(entry, { state: 'sent', sent_at: now(), result_mod_count: modCount, last_error: null }, 'sent');
      logger.info('record inserted', { table: entry.table_name, ticket: entry.ticket_number });
    } catch (err) {
      await failed(entry, err);
    }
  }

  async function upload(entry: OutboxEntry, stored: string): Promise<void> {
    const attachments = target.attachments;
    if (!attachments) {
      logger.error('attachment cannot be sent: no attachment target is configured', {
        runId: entry.run_id,
        ticket: entry.ticket_number,
      });
      return finish(entry, { state: 'failed', last_error: 'no attachment target is configured' }, 'failed');
    }
    try {
      const file: OutboxAttachment = outboxAttachmentSchema.parse(JSON.parse(stored));
      // Never the same output twice: not after an ambiguous failure, nor when another run attached it.
      const bytes = Buffer.from(file.content, 'utf8');
      const probe = { fileName: file.file_name, sizeBytes: bytes.length, sha256: sha256Hex(bytes) };
      if (await attachments.has(entry.table_name, entry.sys_id, probe)) {
        logger.info('attachment with the same content found on the record; not uploading it again', {
          runId: entry.run_id,
          ticket: entry.ticket_number,
          file: file.file_name,
        });
        return finish(entry, { state: 'sent', sent_at: now() }, 'already_delivered');
      }
      if (!(await repos.outbox.save(entry.id, deps.owner, { state: 'sending', attempts: entry.attempts + 1 }))) return;
      await attachments.attach(entry.table_name, entry.sys_id, file);
      await finish(entry, { state: 'sent', sent_at: now(), last_error: null }, 'sent');
      logger.info('attachment sent', { runId: entry.run_id, ticket: entry.ticket_number, file: file.file_name });
    } catch (err) {
      await failed(entry, err);
    }
  }

  /**
   * As steps are: retried with backoff and jitter until the deadline (counted from when the entry
   * was queued) would pass, so an outage of ServiceNow is outlasted however many attempts it costs.
   */
  async function failed(entry: OutboxEntry, err: unknown): Promise<void> {
    const failure = target.classify(err);
    const message = err instanceof Error ? err.message : String(err);
    // A request that never left (its limiter failed) was no attempt at delivering: it uses none up.
    const attempts = failure === 'transient' && neverSent(err) ? entry.attempts : entry.attempts + 1;
    const retryAfterMs = err instanceof SnowlineError ? err.retryAfterMs : undefined;
    const decision = decideAfterFailure(
      // An entry found `sending` may have reached the ticket: it stays so until its journal is read.
      { state: entry.state === 'sending' ? 'starting' : 'pending', attempt: attempts, hasExternalRef: false },
      failure,
      policy,
      random(),
      retryAfterMs,
      { now: now(), at: entry.created_at + deadlineMs },
    );
    if (decision.state === 'failed') {
      const error = decision.gaveUp
        ? `gave up after ${attempts} attempt(s) over ${Math.round((now() - entry.created_at) / 1000)} s: ${message}`
        : message;
      logger.error('write-back failed for good', { runId: entry.run_id, ticket: entry.ticket_number, error });
      await finish(entry, { state: 'failed', attempts, last_error: error }, 'failed');
      return;
    }
    const { delayMs } = decision;
    logger.warn('write-back attempt failed; will retry', { runId: entry.run_id, failure, error: message, delayMs });
    // Only an ambiguous failure may have reached the ticket: keep `sending` so the journal is checked.
    await finish(
      entry,
      {
        state: decision.state === 'starting' ? 'sending' : 'pending',
        attempts,
        last_error: message,
        next_at: now() + delayMs,
      },
      `retry_${failure}`,
    );
  }

  async function finish(entry: OutboxEntry, patch: Partial<OutboxEntry>, result: string): Promise<void> {
    await repos.outbox.save(entry.id, deps.owner, { ...patch, lease_owner: null, lease_until: null });
    metrics.writebacks.inc({ result });
    if (patch.state === 'sent' || patch.state === 'failed')
      metrics.writebackLag.observe({ result: patch.state }, (now() - entry.created_at) / 1000);
  }

  return {
    /** Every log line about the write-back carries its run's correlation id. */
    send: (entry: OutboxEntry): Promise<void> =>
      withCorrelation(entry.correlation_id, () =>
        entry.correlation_id
          ? inSpan(
              'write-back',
              {
                correlationId: entry.correlation_id,
                parentSpanId: runSpanIdOf(entry.run_id),
                attributes: { 'snowline.ticket': entry.ticket_number },
              },
              () => sendEntry(entry),
            )
          : sendEntry(entry),
      ),
  };
}
export type OutboxSender = ReturnType<typeof createOutboxSender>;

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const DEFAULT_WRITEBACK_DEADLINE_MS = 60 * 60_000;
