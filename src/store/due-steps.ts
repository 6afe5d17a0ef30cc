import { sql, type Kysely } from 'kysely';
import type { Tables } from './schema';

/** States in which a step still has work to do and may be claimed by a worker. */
export const ACTIVE_STEP_STATES = ['pending', 'starting', 'waiting'] as const;

/** Steps due at `now` and claimed by no live lease. */
function dueSteps(db: Kysely<Tables>, now: number) {
  return db
    .selectFrom('steps')
    .where('state', 'in', [...ACTIVE_STEP_STATES])
    .where('next_at', '<=', now)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]));
}

/**
 * Ids of up to `limit` due steps, earliest first, with at most `quotas[c]` steps of each connector
 * `c` named there (a connector at 0 has none taken; one not named is not limited). The due
 * conditions stay in the outer query, where PostgreSQL re-checks them on a row another claim just
 * took (`FOR UPDATE` re-reads it).
 */
export function dueStepIds(
  db: Kysely<Tables>,
  now: number,
  limit: number,
  quotas: Readonly<Record<string, number>> = {},
) {
  const query = dueSteps(db, now).select('id').orderBy('next_at').limit(limit);
  const limited = Object.entries(quotas);
  if (limited.length === 0) return query;
  const ranked = dueSteps(db, now).select([
    'id',
    'connector',
    sql<number>`row_number() over (partition by connector order by next_at)`.as('turn'),
  ]);
  const withinQuota = db
    .selectFrom(ranked.as('ranked'))
    .select('ranked.id')
    .where((eb) =>
      eb.or([
        eb(
          'ranked.connector',
          'not in',
          limited.map(([connector]) => connector),
        ),
        ...limited
          .filter(([, quota]) => quota > 0)
          .map(([connector, quota]) =>
            eb.and([eb('ranked.connector', '=', connector), eb('ranked.turn', '<=', quota)]),
          ),
      ]),
    );
  return query.where('id', 'in', withinQuota);
}
