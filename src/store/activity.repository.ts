import type { Kysely } from 'kysely';
import type { Tables } from './schema';

/** Runs that may still change on their own; the others change only by an operator (who makes them active again). */
const ACTIVE_RUN_STATES = ['queued', 'running', 'paused', 'writing_back'];

/** What the console's live view compares from one look to the next. */
export interface ActivitySnapshot {
  /** Runs per state and inbox events per state: a run or event created, finished or retried changes them. */
  counts: string;
  /** Each active run's own progress (states, attempts and times of its steps), by run id. */
  activeRuns: Map<string, string>;
}

/**
 * A cheap summary of everything the console shows live, read with the existing indexes (runs by
 * state, events by status, steps by run). Comparing two snapshots tells which runs moved; it reads
 * no payloads, so it stays small whatever the history holds.
 */
export function activityRepository(db: Kysely<Tables>) {
  return {
    async snapshot(): Promise<ActivitySnapshot> {
      const [runCounts, eventCounts, steps] = await Promise.all([
        db
          .selectFrom('runs')
          .select(['state', db.fn.countAll<number>().as('n')])
          .groupBy('state')
          .execute(),
        db
          .selectFrom('inbox_events')
          .select(['status', db.fn.countAll<number>().as('n')])
          .groupBy('status')
          .execute(),
        db
          .selectFrom('runs')
          .innerJoin('steps', 'steps.run_id', 'runs.id')
          .select([
            'runs.id as run_id',
            'runs.state as run_state',
            'steps.idx',
            'steps.state',
            'steps.attempt',
            'steps.started_at',
            'steps.finished_at',
            'steps.waiting_for',
          ])
          .where('runs.state', 'in', ACTIVE_RUN_STATES)
          .orderBy('runs.id')
          .orderBy('steps.idx')
          .execute(),
      ]);
      const activeRuns = new Map<string, string>();
      for (const s of steps) {
        const part = `${s.idx}:${s.state}:${s.attempt}:${s.started_at ?? ''}:${s.finished_at ?? ''}:${s.waiting_for ?? ''}`;
        const before = activeRuns.get(s.run_id);
        activeRuns.set(s.run_id, before === undefined ? `${s.run_state}|${part}` : `${before}|${part}`);
      }
      const counts = [
        ...runCounts.map((r) => `run:${r.state}=${r.n}`),
        ...eventCounts.map((e) => `event:${e.status}=${e.n}`),
      ]
        .sort()
        .join(',');
      return { counts, activeRuns };
    },
  };
}
export type ActivityRepository = ReturnType<typeof activityRepository>;
