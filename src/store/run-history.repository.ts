import { sql, type Kysely } from 'kysely';
import type { Tables } from './schema';

/** Run states that end a run and say something about the automation's health. */
const FINISHED = ['succeeded', 'failed', 'writeback_failed'];

/** Finished runs of one rule in a window: how many, how many succeeded, and how many of those were slower than each threshold. */
export interface FinishedRunCounts {
  finished: number;
  succeeded: number;
  /** Threshold in seconds → succeeded runs that took longer. */
  slower: Map<number, number>;
}

/**
 * Aggregates over what runs, steps and inbox events did in a recent window: the raw material of the
 * SLOs and alerts (src/slo/). Each is one query, so it costs the same on every instance and after a
 * restart (nothing kept in memory).
 */
export function runHistoryRepository(db: Kysely<Tables>) {
  return {
    /** Per rule, the runs that finished since `since` (epoch ms). */
    async finishedCountsByRule(
      since: number,
      thresholdsSeconds: readonly number[],
    ): Promise<Map<string, FinishedRunCounts>> {
      const slowColumns = thresholdsSeconds.map((t, i) =>
        sql<number>`sum(case when state = 'succeeded' and finished_at - created_at > ${t * 1000} then 1 else 0 end)`.as(
          `slow_${i}`,
        ),
      );
      const rows = await db
        .selectFrom('runs')
        .select([
          'rule_id',
          sql<number>`count(*)`.as('finished'),
          sql<number>`sum(case when state = 'succeeded' then 1 else 0 end)`.as('succeeded'),
          ...slowColumns,
        ])
        .where('finished_at', '>=', since)
        .where('state', 'in', FINISHED)
        .groupBy('rule_id')
        .execute();
      return new Map(
        rows.map((row) => {
          const values = row as unknown as Record<string, number | string | null>;
          const slower = new Map(thresholdsSeconds.map((t, i) => [t, Number(values[`slow_${i}`] ?? 0)]));
          return [row.rule_id, { finished: Number(values.finished), succeeded: Number(values.succeeded ?? 0), slower }];
        }),
      );
    },

    /** Succeeded step executions finished since `since`, newest first, at most `limit`. */
    async succeededSteps(since: number, limit: number) {
      return db
        .selectFrom('steps')
        .innerJoin('runs', 'runs.id', 'steps.run_id')
        .select(['runs.rule_id', 'steps.name', 'steps.started_at', 'steps.finished_at'])
        .where('steps.state', '=', 'succeeded')
        .where('steps.finished_at', '>=', since)
        .orderBy('steps.finished_at', 'desc')
        .limit(limit)
        .execute();
    },

    /** Runs finished since `since` (epoch ms), with their context (the ticket's CI is in it). */
    async finishedRuns(since: number) {
      return db
        .selectFrom('runs')
        .select(['id', 'rule_id', 'state', 'context', 'finished_at'])
        .where('finished_at', '>=', since)
        .where('state', 'in', FINISHED)
        .execute();
    },

    /** The steps of runs finished since `since`: their stages and states (which parallel branch failed). */
    async stepsOfRunsFinishedSince(since: number) {
      return db
        .selectFrom('steps')
        .innerJoin('runs', 'runs.id', 'steps.run_id')
        .select(['steps.run_id', 'steps.name', 'steps.stage', 'steps.state'])
        .where('runs.finished_at', '>=', since)
        .execute();
    },

    /** Inbox events received since `since` by where they came from first (webhook or poll). */
    async eventsBySource(since: number): Promise<{ webhook: number; poll: number }> {
      const rows = await db
        .selectFrom('inbox_events')
        .select(['source', (eb) => eb.fn.countAll<number>().as('n')])
        .where('received_at', '>=', since)
        .where('source', 'in', ['webhook', 'poll'])
        .groupBy('source')
        .execute();
      const count = (source: string) => Number(rows.find((r) => r.source === source)?.n ?? 0);
      return { webhook: count('webhook'), poll: count('poll') };
    },

    /** Whether any webhook delivered an event since `since`. */
    async webhookSeenSince(since: number): Promise<boolean> {
      const seen = await db
        .selectFrom('inbox_events')
        .select('seq')
        .where('source', '=', 'webhook')
        .where('received_at', '>=', since)
        .limit(1)
        .executeTakeFirst();
      return seen !== undefined;
    },
  };
}
export type RunHistoryRepository = ReturnType<typeof runHistoryRepository>;
