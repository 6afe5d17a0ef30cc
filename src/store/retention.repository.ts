import type { Kysely, Transaction } from 'kysely';
import { UNSETTLED_OUTBOX_STATES } from './outbox.repository';
import type {
  ApprovalRow,
  ArchivedRunRow,
  AuditRow,
  OutboxRow,
  PrivilegeLeaseRow,
  RunRow,
  StepRow,
  Tables,
} from './schema';

/** A run with everything recorded about it: what an archive line holds. */
export interface RunRecord {
  run: RunRow;
  steps: StepRow[];
  writebacks: OutboxRow[];
  approvals: ApprovalRow[];
  privilegeLeases: PrivilegeLeaseRow[];
}

const FINISHED_RUN_STATES = ['succeeded', 'failed', 'refused', 'cancelled'];
const SETTLED_EVENT_STATES = ['done', 'dropped', 'superseded', 'rejected'];
/** Steps that will not run again; only their outputs are pruned. */
const FINISHED_STEP_STATES = ['succeeded', 'failed', 'cancelled', 'refused', 'skipped'];

/** Selects, archives the rows of and deletes old records, in batches (src/retention/). */
export function retentionRepository(db: Kysely<Tables>) {
  /** Finished runs before `cutoff` whose write-backs are no longer in flight. */
  const prunableRuns = (cutoff: number) =>
    db
      .selectFrom('runs')
      .where('state', 'in', FINISHED_RUN_STATES)
      .where('finished_at', '<', cutoff)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('outbox')
              .select('outbox.id')
              .whereRef('outbox.run_id', '=', 'runs.id')
              .where('outbox.state', 'in', [...UNSETTLED_OUTBOX_STATES]),
          ),
        ),
      );
  const settledEvents = (cutoff: number) =>
    db.selectFrom('inbox_events').where('status', 'in', SETTLED_EVENT_STATES).where('received_at', '<', cutoff);
  const finishedSteps = (cutoff: number) =>
    db.selectFrom('steps').where('state', 'in', FINISHED_STEP_STATES).where('finished_at', '<', cutoff);
  const countOf = async (rows: Promise<{ n: number | string } | undefined>): Promise<number> =>
    Number((await rows)?.n ?? 0);
  /** The first audit entry to keep: the first at or after `cutoff`, and never after the newest. */
  const firstKeptAuditSeq = async (cutoff: number): Promise<number | undefined> => {
    const newest = await db.selectFrom('audit_log').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
    if (!newest) return undefined;
    const firstNew = await db
      .selectFrom('audit_log')
      .select('seq')
      .where('at', '>=', cutoff)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    return Math.min(firstNew?.seq ?? newest.seq, newest.seq);
  };

  return {
    countRuns: (cutoff: number) =>
      countOf(
        prunableRuns(cutoff)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst(),
      ),
    countEvents: (cutoff: number) =>
      countOf(
        settledEvents(cutoff)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst(),
      ),
    countStepOutputs: (cutoff: number) =>
      countOf(
        finishedSteps(cutoff)
          .where('result', 'is not', null)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst(),
      ),
    async countAudit(cutoff: number): Promise<number> {
      const keep = await firstKeptAuditSeq(cutoff);
      if (keep === undefined) return 0;
      return countOf(
        db
          .selectFrom('audit_log')
          .where('seq', '<', keep)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst(),
      );
    },

    /** Up to `limit` prunable runs with all their rows, oldest first. */
    async runBatch(cutoff: number, limit: number): Promise<RunRecord[]> {
      const runs = await prunableRuns(cutoff).selectAll().orderBy('finished_at').limit(limit).execute();
      if (runs.length === 0) return [];
      const ids = runs.map((r) => r.id);
      const [steps, writebacks, approvals, leases] = await Promise.all([
        db.selectFrom('steps').selectAll().where('run_id', 'in', ids).orderBy('idx').execute(),
        db.selectFrom('outbox').selectAll().where('run_id', 'in', ids).orderBy('created_at').execute(),
        db.selectFrom('approvals').selectAll().where('run_id', 'in', ids).execute(),
        db.selectFrom('privilege_leases').selectAll().where('run_id', 'in', ids).execute(),
      ]);
      const of = <T extends { run_id: string }>(rows: T[], id: string) => rows.filter((r) => r.run_id === id);
      return runs.map((run) => ({
        run,
        steps: of(steps, run.id),
        writebacks: of(writebacks, run.id),
        approvals: of(approvals, run.id),
        privilegeLeases: of(leases, run.id),
      }));
    },

    /** Deletes archived runs and their rows, and records where each went, in one transaction. */
    async deleteArchivedRuns(archived: ArchivedRunRow[]): Promise<void> {
      const ids = archived.map((a) => a.run_id);
      if (ids.length === 0) return;
      await db.transaction().execute(async (trx: Transaction<Tables>) => {
        // A run archived twice (a crash between archive and delete) is found in its newest archive.
        await trx.deleteFrom('archived_runs').where('run_id', 'in', ids).execute();
        await trx.insertInto('archived_runs').values(archived).execute();
        await trx.deleteFrom('privilege_leases').where('run_id', 'in', ids).execute();
        await trx.deleteFrom('approvals').where('run_id', 'in', ids).execute();
        await trx.deleteFrom('outbox').where('run_id', 'in', ids).execute();
        await trx.deleteFrom('steps').where('run_id', 'in', ids).execute();
        await trx.deleteFrom('runs').where('id', 'in', ids).execute();
      });
    },

    /** Archived runs of a ticket, newest first. */
    async findArchived(ticket: string): Promise<ArchivedRunRow[]> {
      return db
        .selectFrom('archived_runs')
        .selectAll()
        .where('ticket_number', '=', ticket)
        .orderBy('created_at', 'desc')
        .execute();
    },

    /** Deletes up to `limit` settled events received before `cutoff`; returns how many. */
    async deleteEvents(cutoff: number, limit: number): Promise<number> {
      const seqs = (await settledEvents(cutoff).select('seq').limit(limit).execute()).map((r) => r.seq);
      if (seqs.length > 0) await db.deleteFrom('inbox_events').where('seq', 'in', seqs).execute();
      return seqs.length;
    },

    /** Clears up to `limit` finished steps' results; returns how many. */
    async clearStepResults(cutoff: number, limit: number): Promise<number> {
      const ids = (await finishedSteps(cutoff).where('result', 'is not', null).select('id').limit(limit).execute()).map(
        (r) => r.id,
      );
      if (ids.length > 0) await db.updateTable('steps').set({ result: null }).where('id', 'in', ids).execute();
      return ids.length;
    },

    /** Finished steps whose results hold job output (`stdout`, `stdout_tail`), up to `limit`. */
    async stepsWithOutput(cutoff: number, limit: number, afterId = ''): Promise<Pick<StepRow, 'id' | 'result'>[]> {
      return finishedSteps(cutoff)
        .where('id', '>', afterId)
        .orderBy('id')
        .where((eb) => eb.or([eb('result', 'like', '%"stdout_tail":"_%'), eb('result', 'like', '%"stdout":"_%')]))
        .select(['id', 'result'])
        .limit(limit)
        .execute();
    },

    async setStepResult(id: string, result: string): Promise<void> {
      await db.updateTable('steps').set({ result }).where('id', '=', id).execute();
    },

    /** Delivered attachments (job output uploaded to tickets) created before `cutoff` that still hold content. */
    async sentAttachmentsWithContent(cutoff: number, limit: number): Promise<Pick<OutboxRow, 'id' | 'attachment'>[]> {
      return db
        .selectFrom('outbox')
        .select(['id', 'attachment'])
        .where('state', '=', 'sent')
        .where('created_at', '<', cutoff)
        .where('attachment', 'is not', null)
        .where('attachment', 'not like', '%"content":""%')
        .limit(limit)
        .execute();
    },

    async setAttachment(id: string, attachment: string): Promise<void> {
      await db.updateTable('outbox').set({ attachment }).where('id', '=', id).execute();
    },

    /**
     * The oldest audit entries up to `limit`, all before the first entry at or after `cutoff` (a
     * cut is always a prefix of the chain) and never the newest (the chain's head stays).
     */
    async auditBatch(cutoff: number, limit: number): Promise<AuditRow[]> {
      const keep = await firstKeptAuditSeq(cutoff);
      if (keep === undefined) return [];
      return db.selectFrom('audit_log').selectAll().where('seq', '<', keep).orderBy('seq').limit(limit).execute();
    },

    /** Records the cut and deletes the entries up to it in one transaction. */
    async cutAudit(checkpoint: Tables['audit_checkpoints']): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('audit_checkpoints').values(checkpoint).execute();
        await trx.deleteFrom('audit_log').where('seq', '<=', checkpoint.seq).execute();
      });
    },
  };
}
export type RetentionRepository = ReturnType<typeof retentionRepository>;
