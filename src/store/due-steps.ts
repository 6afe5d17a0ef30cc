import type { Kysely } from 'kysely';
import type { Tables } from './schema';

/**
 * States in which a step still has work to do and may be claimed by a worker. PostgreSQL's claim
 * reads them in order through a partial index over exactly these states (migration 021): a change
 * here needs a migration for a new index, or the claim sorts every due step again.
 */
export const ACTIVE_STEP_STATES = ['pending', 'starting', 'waiting'] as const;

/**
 * Up to `limit` due steps (id and connector), earliest first, claimed by no live lease, leaving out
 * connectors with no slot free in `quotas` (a connector not named there is not limited). Without a
 * window over every due step: the claim runs on every round of the step loop, and ranking all due
 * steps per connector cost more than the steps themselves under a burst. At most `limit` rows are
 * read; `withinQuotas` then keeps each connector to its free slots.
 */
export function dueSteps(db: Kysely<Tables>, now: number, limit: number, quotas: Readonly<Record<string, number>>) {
  const full = Object.entries(quotas)
    .filter(([, free]) => free <= 0)
    .map(([connector]) => connector);
  let query = db
    .selectFrom('steps')
    .select(['id', 'connector'])
    .where('state', 'in', [...ACTIVE_STEP_STATES])
    .where('next_at', '<=', now)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .orderBy('next_at')
    .limit(limit);
  if (full.length > 0) query = query.where('connector', 'not in', full);
  return query;
}

/**
 * The ids to claim among `due`, in order, with no more of a connector than its free slots. A
 * connector whose due steps fill the read ahead of another's waits its turn only until its own
 * slots are full: then it is left out of the read (see dueSteps).
 */
export function withinQuotas(
  due: readonly { id: string; connector: string }[],
  quotas: Readonly<Record<string, number>>,
): string[] {
  const taken = new Map<string, number>();
  const ids: string[] = [];
  for (const step of due) {
    const quota = quotas[step.connector];
    const n = taken.get(step.connector) ?? 0;
    if (quota !== undefined && n >= quota) continue;
    taken.set(step.connector, n + 1);
    ids.push(step.id);
  }
  return ids;
}
