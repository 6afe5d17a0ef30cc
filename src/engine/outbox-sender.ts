import { createHash } from 'node:crypto';
import { withCorrelation } from '../observability/context';
import { runSpanIdOf } from '../observability/trace-ids';
import { recordSpan } from '../observability/tracing';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Repositories, Store } from '../store';
import type { OutboxEntry } from '../store/outbox.repository';
import { keepLease } from './lease-heartbeat';
import { outboxAttachmentSchema, type OutboxAttachment } from './job-output';
import type { RetryPolicy } from './run-state-machine';
import { groupByTicket, mergeablePrefix, mergedFields, writesWorkNote } from './writeback-groups';
import { createRunEventEmitter } from './run-event-emitter';
import { writebackSettlement, type Outcome } from './writeback-settlement';
import {
  NO_ATTACHMENT_TARGET,
  sendCalls,
  type WritebackCall,
  type WritebackCallResult,
  type WritebackTarget,
} from './writeback-target';

export type {
  AttachmentProbe,
  AttachmentTarget,
  BatchTarget,
  RecordTarget,
  WritebackCall,
  WritebackCallResult,
  WritebackTarget,
} from './writeback-target';

export interface OutboxSenderDeps {
  store: Store;
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
  /** Told when a write-back it saved falls due again (a retry), so an idle outbox loop wakes then. */
  onDue?: (at: number) => void;
}

/** A call about to be made, with what its result does to the entries behind it. */
interface PlannedCall {
  call: WritebackCall;
  settle(result: WritebackCallResult): Promise<void>;
}

/**
 * Delivers write-backs at least once and applies them at most once, in as few ServiceNow calls as
 * it can: the write-backs of one ticket due together go as one PATCH (fields merged in enqueue
 * order, work notes joined), and several tickets' calls as one batch when the target has one.
 * Each entry is still settled on its own with the shared result. An entry found in state `sending`
 * (a crash, or an ambiguous failure, in the middle of a PATCH) is first looked up in the ticket's
 * journal by its marker and only re-sent when it is not there; an attachment is always looked for
 * among the record's attachments (by content hash) before it is uploaded.
 */
export function createOutboxSender(deps: OutboxSenderDeps) {
  const now = deps.now ?? Date.now;
  const { repos, target, logger } = deps;
  const settlement = writebackSettlement({
    repos,
    target,
    events: createRunEventEmitter(deps),
    owner: deps.owner,
    policy: { maxAttempts: Infinity, ...deps.retry },
    deadlineMs: deps.deadlineMs ?? DEFAULT_WRITEBACK_DEADLINE_MS,
    now,
    random: deps.random ?? Math.random,
    onDue: deps.onDue,
  });
  const { finish, failed } = settlement;
  // A write goes on at the instance after its sender died: held this long, the entries of an
  // instance killed mid-delivery are looked up by another only once their writes are settled.
  const holdMs = Math.max(deps.leaseMs, target.settleMs ?? 0);

  /**
   * Delivers entries claimed together; each still appears in its run's trace as a `write-back` span
   * (recorded after the fact, as calls shared by several runs cannot sit inside one run's span),
   * and when they all belong to one run its log lines carry that run's correlation id.
   */
  async function deliverTraced(entries: readonly OutboxEntry[]): Promise<void> {
    const startTime = now();
    const runs = new Set(entries.map((e) => e.correlation_id));
    const [only] = runs;
    await (runs.size === 1 && only ? withCorrelation(only, () => deliver(entries)) : deliver(entries));
    const endTime = now();
    for (const entry of entries)
      if (entry.correlation_id)
        recordSpan('write-back', {
          correlationId: entry.correlation_id,
          parentSpanId: runSpanIdOf(entry.run_id),
          attributes: { 'snowline.ticket': entry.ticket_number },
          startTime,
          endTime,
        });
  }

  async function deliver(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const ids = entries.map((e) => e.id);
    const hold = () => repos.outbox.extendLeases(ids, deps.owner, now() + holdMs);
    if (holdMs > deps.leaseMs) await hold();
    const heartbeat = keepLease(hold, deps.leaseMs, logger, { outboxIds: ids.slice(0, 5), entries: ids.length });
    try {
      const inserts = entries.filter((e) => e.attachment === null && e.operation === 'insert');
      const uploads = entries.filter((e) => e.attachment !== null);
      const patches = entries.filter((e) => e.attachment === null && e.operation !== 'insert');
      await Promise.all([...inserts.map(insert), patchAndUpload(patches, uploads)]);
    } finally {
      heartbeat.stop();
    }
  }

  /** First round: every ticket's PATCH and every upload's lookup; second round: the uploads not found. */
  async function patchAndUpload(patches: readonly OutboxEntry[], uploads: readonly OutboxEntry[]): Promise<void> {
    const toUpload: PlannedCall[] = [];
    const first = [
      ...(await Promise.all(groupByTicket(patches).map((group) => plannedPatch(group.entries)))),
      ...(await Promise.all(uploads.map((entry) => plannedLookup(entry, toUpload)))),
    ].filter((p): p is PlannedCall => p !== undefined);
    await run(first);
    await run(toUpload);
  }

  async function run(planned: readonly PlannedCall[]): Promise<void> {
    const results = await sendCalls(
      target,
      planned.map((p) => p.call),
    );
    await Promise.all(planned.map((p, i) => p.settle(results[i]!)));
  }

  /** One PATCH for a ticket's entries that are not already in its journal; undefined when none is left to send. */
  async function plannedPatch(group: readonly OutboxEntry[]): Promise<PlannedCall | undefined> {
    const undelivered = (await Promise.all(group.map(unlessInJournal))).filter((e): e is OutboxEntry => !!e);
    const [notDelivered, later] = mergeablePrefix(undelivered);
    // Due again at once; the engine sends a ticket's next delivery only after this one settled.
    await repos.outbox.saveMany(
      later.map((e) => e.id),
      deps.owner,
      { lease_owner: null, lease_until: null },
    );
    const held = await repos.outbox.markSending(
      notDelivered.map((e) => e.id),
      deps.owner,
    );
    const sending = notDelivered.filter((e) => held.has(e.id));
    const [first] = sending;
    if (!first) return undefined;
    return {
      call: { kind: 'patch', table: first.table_name, sysId: first.sys_id, fields: mergedFields(sending) },
      settle: async (result) => {
        if (result.kind === 'done') {
          const sent = { state: 'sent', sent_at: now(), result_mod_count: result.modCount ?? null, last_error: null };
          await finish(sending, sent, DELIVERED);
        } else await Promise.all(sending.map((e) => settleFailure(e, result)));
      },
    };
  }

  /** The entry, unless an earlier attempt that may have reached the ticket did: its marker is in the journal. */
  async function unlessInJournal(entry: OutboxEntry): Promise<OutboxEntry | undefined> {
    if (entry.state !== 'sending' || !writesWorkNote(entry)) return entry;
    try {
      if (!(await target.journalContains(entry.table_name, entry.sys_id, entry.marker))) return entry;
    } catch (err) {
      await failed(entry, err);
      return undefined;
    }
    await finish([entry], { state: 'sent', sent_at: now() }, ALREADY_THERE);
    return undefined;
  }

  /** Looks for the upload's content on the record; queues the upload itself when it is not there. */
  async function plannedLookup(entry: OutboxEntry, toUpload: PlannedCall[]): Promise<PlannedCall | undefined> {
    if (!target.attachments) {
      const error = NO_ATTACHMENT_TARGET.message;
      await finish([entry], { state: 'failed', last_error: error }, { type: 'writeback.failed', error });
      return undefined;
    }
    let file: OutboxAttachment;
    try {
      file = outboxAttachmentSchema.parse(JSON.parse(entry.attachment ?? ''));
    } catch (err) {
      await failed(entry, err);
      return undefined;
    }
    // Never the same output twice: not after an ambiguous failure, nor when another run attached it.
    const bytes = Buffer.from(file.content, 'utf8');
    const probe = { fileName: file.file_name, sizeBytes: bytes.length, sha256: sha256Hex(bytes) };
    return {
      call: { kind: 'find-attachment', table: entry.table_name, sysId: entry.sys_id, probe },
      settle: async (result) => {
        if (result.kind !== 'done') return settleFailure(entry, result);
        if (!result.found) return queueUpload(entry, file, toUpload);
        await finish([entry], { state: 'sent', sent_at: now() }, ALREADY_THERE);
      },
    };
  }

  async function queueUpload(entry: OutboxEntry, file: OutboxAttachment, toUpload: PlannedCall[]): Promise<void> {
    if (!(await repos.outbox.markSending([entry.id], deps.owner)).has(entry.id)) return;
    toUpload.push({
      call: { kind: 'attach', table: entry.table_name, sysId: entry.sys_id, file },
      settle: async (result) => {
        if (result.kind !== 'done') return settleFailure(entry, result);
        await finish([entry], { state: 'sent', sent_at: now(), last_error: null }, DELIVERED);
      },
    });
  }

  function settleFailure(entry: OutboxEntry, result: Exclude<WritebackCallResult, { kind: 'done' }>): Promise<void> {
    return result.kind === 'unserviced' ? settlement.unserviced(entry) : failed(entry, result.error);
  }

  async function insert(entry: OutboxEntry): Promise<void> {
    const records = target.records;
    if (!records) {
      const error = 'no record target is configured';
      return finish([entry], { state: 'failed', last_error: error }, { type: 'writeback.failed', error });
    }
    try {
      if (entry.state === 'sending' && (await records.exists(entry.table_name, entry.sys_id))) {
        return finish([entry], { state: 'sent', sent_at: now() }, ALREADY_THERE);
      }
      if (!(await repos.outbox.save(entry.id, deps.owner, { state: 'sending', attempts: entry.attempts + 1 }))) return;
      const fields = JSON.parse(entry.fields) as Record<string, string>;
      const { modCount } = await records.insert(entry.table_name, { ...fields, sys_id: entry.sys_id });
      await finish([entry], { state: 'sent', sent_at: now(), result_mod_count: modCount, last_error: null }, DELIVERED);
    } catch (err) {
      await failed(entry, err);
    }
  }

  return {
    /** Delivers one entry (tests and tools that hold a single claimed entry). */
    send: (entry: OutboxEntry): Promise<void> => deliverTraced([entry]),
    /** Delivers entries claimed together in as few calls as it can (see above). */
    deliver: deliverTraced,
  };
}
export type OutboxSender = ReturnType<typeof createOutboxSender>;

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const DEFAULT_WRITEBACK_DEADLINE_MS = 60 * 60_000;

const DELIVERED: Outcome = { type: 'writeback.delivered', alreadyThere: false };
/** An earlier attempt that may have got through did: found in the journal, on the record or on the instance. */
const ALREADY_THERE: Outcome = { type: 'writeback.delivered', alreadyThere: true };
