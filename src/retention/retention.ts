import { stepResult } from '../store/run.repository';
import { outboxAttachmentOf } from '../store/outbox-columns';
import type { RetentionConfig } from './retention-settings';
import type { Logger } from '../observability/logger';
import { anchorCut, type AnchorSettings } from '../security/audit-anchor';
import type { AuditRepository } from '../store/audit.repository';
import type { RetentionRepository } from '../store/retention.repository';
import { archiveName, type ArchiveTarget } from './archive';

const DAY_MS = 86_400_000;

/** What one retention pass pruned (or, dry, would prune), per kind; archives written. */
export interface RetentionOutcome {
  dryRun: boolean;
  events: number;
  runs: number;
  stepOutputs: number;
  controllerOutputs: number;
  auditEntries: number;
  archives: string[];
}

export interface RetentionDeps {
  config: RetentionConfig;
  retention: RetentionRepository;
  audit: AuditRepository;
  archive: ArchiveTarget;
  anchors: AnchorSettings;
  logger: Logger;
  now?: () => number;
}

/**
 * Prunes each kind past its age (docs/reports.md, "Retention"). Runs and audit entries are written
 * to the archive before they are deleted, so a crash in between archives them twice, never loses
 * them. A kind without a number of days is kept forever.
 */
export function createRetention(deps: RetentionDeps) {
  const now = deps.now ?? Date.now;
  const { config, retention } = deps;
  const cutoffOf = (days: number | undefined, at: number) => (days === undefined ? undefined : at - days * DAY_MS);

  async function repeat(batch: () => Promise<number>): Promise<number> {
    let total = 0;
    for (let n = await batch(); n > 0; n = await batch()) total += n;
    return total;
  }

  async function archiveRuns(cutoff: number, archives: string[]): Promise<number> {
    return repeat(async () => {
      const records = await retention.runBatch(cutoff, config.batchSize);
      if (records.length === 0) return 0;
      const at = now();
      const name = archiveName('runs', at, records[0]!.run.id);
      await deps.archive.write(name, records);
      archives.push(name);
      await retention.deleteArchivedRuns(
        records.map(({ run }) => ({
          run_id: run.id,
          ticket_number: run.ticket_number,
          rule_id: run.rule_id,
          state: run.state,
          created_at: run.created_at,
          archive: name,
          archived_at: at,
        })),
      );
      return records.length;
    });
  }

  async function cutAudit(cutoff: number, archives: string[]): Promise<number> {
    return repeat(async () => {
      const entries = await retention.auditBatch(cutoff, config.batchSize);
      const last = entries[entries.length - 1];
      const head = await deps.audit.head();
      if (!last || !head) return 0;
      const at = now();
      const name = archiveName('audit', at, String(entries[0]!.seq));
      await deps.archive.write(name, entries);
      archives.push(name);
      // The anchor outside the store is what makes the checkpoint row believable to `audit verify`.
      anchorCut(deps.anchors, { journal: head.journal, seq: last.seq, hash: last.hash }, deps.logger, at);
      await retention.cutAudit({ seq: last.seq, hash: last.hash, journal: head.journal, archive: name, cut_at: at });
      return entries.length;
    });
  }

  /** Drops `stdout` and `stdout_tail` from old step results and empties old delivered attachments. */
  async function pruneControllerOutput(cutoff: number): Promise<number> {
    let steps = 0;
    // A cursor, not a re-query: a result whose output sits deeper than its top level still matches.
    for (let after = ''; ;) {
      const rows = await retention.stepsWithOutput(cutoff, config.batchSize, after);
      if (rows.length === 0) break;
      for (const row of rows) {
        const result = stepResult(row);
        if (!result || typeof result !== 'object' || Array.isArray(result)) continue;
        const { stdout, stdout_tail: tail, ...rest } = result;
        if (stdout === undefined && tail === undefined) continue;
        await retention.setStepResult(row.id, JSON.stringify({ ...rest, output_pruned_at: now() }));
        steps++;
      }
      after = rows[rows.length - 1]!.id;
    }
    const attachments = await repeat(async () => {
      const rows = await retention.sentAttachmentsWithContent(cutoff, config.batchSize);
      for (const row of rows)
        await retention.setAttachment(row.id, JSON.stringify({ ...outboxAttachmentOf(row), content: '' }));
      return rows.length;
    });
    return steps + attachments;
  }

  async function dryRun(at: number): Promise<RetentionOutcome> {
    const count = (days: number | undefined, counter: (cutoff: number) => Promise<number>) => {
      const cutoff = cutoffOf(days, at);
      return cutoff === undefined ? 0 : counter(cutoff);
    };
    return {
      dryRun: true,
      events: await count(config.eventsDays, retention.countEvents),
      runs: await count(config.runsDays, retention.countRuns),
      stepOutputs: await count(config.stepOutputsDays, retention.countStepOutputs),
      controllerOutputs: await count(config.controllerOutputDays, async (c) => {
        const steps = await retention.stepsWithOutput(c, Number.MAX_SAFE_INTEGER);
        return steps.length + (await retention.sentAttachmentsWithContent(c, Number.MAX_SAFE_INTEGER)).length;
      }),
      auditEntries: await count(config.auditDays, retention.countAudit),
      archives: [],
    };
  }

  return {
    /** One pass over every kind; `dryRun` counts without changing anything. */
    async run(options: { dryRun?: boolean } = {}): Promise<RetentionOutcome> {
      const at = now();
      if (options.dryRun) return dryRun(at);
      const archives: string[] = [];
      const when = async (days: number | undefined, prune: (cutoff: number) => Promise<number>) => {
        const cutoff = cutoffOf(days, at);
        return cutoff === undefined ? 0 : prune(cutoff);
      };
      // Runs first: their archive keeps the step outputs that the later kinds would clear.
      const runs = await when(config.runsDays, (c) => archiveRuns(c, archives));
      const controllerOutputs = await when(config.controllerOutputDays, pruneControllerOutput);
      const stepOutputs = await when(config.stepOutputsDays, (c) =>
        repeat(() => retention.clearStepResults(c, config.batchSize)),
      );
      const events = await when(config.eventsDays, (c) => repeat(() => retention.deleteEvents(c, config.batchSize)));
      const auditEntries = await when(config.auditDays, (c) => cutAudit(c, archives));
      const outcome = { dryRun: false, events, runs, stepOutputs, controllerOutputs, auditEntries, archives };
      deps.logger.info('retention pass done', { ...outcome });
      return outcome;
    },
  };
}
export type Retention = ReturnType<typeof createRetention>;
