import { sql, type Expression, type Kysely, type RawBuilder } from 'kysely';
import type { Tables } from './schema';

/** States in which a step still has work to do and may be claimed by a worker. */
export const ACTIVE_STEP_STATES = ['pending', 'starting', 'waiting'] as const;

/**
 * Up to `limit` due steps (id and connector), earliest first, claimed by no live lease, leaving out
 * connectors with no slot free in `quotas` (a connector not named there is not limited). Without a
 * window over every due step: the claim runs on every round of the step loop, and ranking all due
 * steps per connector cost more than the steps themselves under a burst. At most `limit` rows are
 * read; the claim then keeps each connector to its free slots (quotaOf).
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
 * A connector's free slots from `quotas`, as SQL over its name; `otherwise` for a connector not
 * limited. The counts are inlined: they are whole numbers this process computed, and as literals
 * PostgreSQL types them as numbers (parameters in a CASE would come out as text).
 */
export function quotaOf(
  connector: Expression<string>,
  quotas: Readonly<Record<string, number>>,
  otherwise: number,
): RawBuilder<number> {
  const limited = Object.entries(quotas);
  if (limited.length === 0) return sql<number>`${sql.lit(otherwise)}`;
  const whens = limited.map(([name, free]) => sql`when ${name} then ${sql.lit(Math.trunc(free))}`);
  return sql<number>`case ${connector} ${sql.join(whens, sql` `)} else ${sql.lit(otherwise)} end`;
}
