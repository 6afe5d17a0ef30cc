import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { StoreDialect } from './dialect';
import type { Tables } from './schema';

/** A report's window: runs (or steps, entries) from `from` (inclusive) to `to` (exclusive), epoch ms. */
export interface ReportRange {
  from: number;
  to: number;
}

/** What a failure can be grouped by in the failure-modes report. */
export type FailureDimension = 'rule' | 'step' | 'connector' | 'ci' | 'hour';

const num = (v: unknown): number => Number(v ?? 0);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * The reports' aggregates (src/reports/), each one SQL statement that both engines run: grouping,
 * counting and nearest-rank percentiles (ROW_NUMBER over a partition) happen in the database, so
 * a report over a long history reads a few hundred rows, not the history.
 */
/** `auditSealed` chains pending audit entries, so the adoption figures count the newest decisions too. */
export function reportRepository(db: Kysely<Tables>, dialect: StoreDialect, auditSealed: () => Promise<void>) {
  /** `path` (e.g. `{ticket,cmdb_ci}`) inside a JSON text column, as text. */
  const jsonText = (column: string, path: string[]): RawBuilder<string> =>
    dialect === 'postgres'
      ? sql<string>`(${sql.ref(column)}::json #>> ${sql.lit(`{${path.join(',')}}`)})`
      : sql<string>`json_extract(${sql.ref(column)}, ${sql.lit(`$.${path.join('.')}`)})`;

  const failureKey: Record<FailureDimension, RawBuilder<string>> = {
    rule: sql<string>`runs.rule_id`,
    step: sql<string>`steps.name`,
    connector: sql<string>`steps.connector`,
    ci: sql<string>`coalesce(${jsonText('runs.context', ['ticket', 'cmdb_ci'])}, '')`,
    // Hour of day (UTC) of the failure: integer arithmetic on epoch ms, the same in both engines.
    hour: sql<string>`cast((steps.finished_at / 3600000) % 24 as text)`,
  };

  return {
    /** Per rule: runs by outcome, and how many succeeded with no person involved (no approval, not manual). */
    async outcomesByRule(range: ReportRange) {
      const rows = await db
        .selectFrom('runs')
        .select((eb) => [
          'runs.rule_id as rule',
          eb.fn.countAll().as('runs'),
          sql<number>`sum(case when runs.state = 'succeeded' then 1 else 0 end)`.as('succeeded'),
          sql<number>`sum(case when runs.state = 'failed' then 1 else 0 end)`.as('failed'),
          sql<number>`sum(case when runs.state = 'succeeded' and runs.event_key not like 'manual:%'
            and not exists (select 1 from approvals a where a.run_id = runs.id) then 1 else 0 end)`.as('unattended'),
          sql<number>`count(distinct case when runs.state = 'succeeded' and runs.event_key not like 'manual:%'
            and not exists (select 1 from approvals a where a.run_id = runs.id) then runs.ticket_number end)`.as(
            'unattendedTickets',
          ),
          sql<number | null>`avg(case when runs.state = 'succeeded' then runs.finished_at - runs.created_at end)`.as(
            'meanSucceededMs',
          ),
        ])
        .where('runs.created_at', '>=', range.from)
        .where('runs.created_at', '<', range.to)
        .groupBy('runs.rule_id')
        .orderBy('runs.rule_id')
        .execute();
      return rows.map((r) => ({
        rule: r.rule,
        runs: num(r.runs),
        succeeded: num(r.succeeded),
        failed: num(r.failed),
        unattended: num(r.unattended),
        unattendedTickets: num(r.unattendedTickets),
        meanSucceededMs: numOrNull(r.meanSucceededMs),
      }));
    },

    /** Tickets with a succeeded run in the window (the automated side of the time-to-resolve comparison). */
    async automatedTickets(range: ReportRange): Promise<string[]> {
      const rows = await db
        .selectFrom('runs')
        .select('ticket_number')
        .distinct()
        .where('state', '=', 'succeeded')
        .where('created_at', '>=', range.from)
        .where('created_at', '<', range.to)
        .execute();
      return rows.map((r) => r.ticket_number);
    },

    /** Per rule: its newest run (ever), and runs and failures in the window. */
    async ruleActivity(range: ReportRange) {
      const rows = await db
        .selectFrom('runs')
        .select((eb) => [
          'rule_id as rule',
          eb.fn.max('created_at').as('lastRunAt'),
          sql<number>`sum(case when created_at >= ${range.from} and created_at < ${range.to} then 1 else 0 end)`.as(
            'runs',
          ),
          sql<number>`sum(case when created_at >= ${range.from} and created_at < ${range.to} and state = 'failed' then 1 else 0 end)`.as(
            'failed',
          ),
        ])
        .groupBy('rule_id')
        .execute();
      return rows.map((r) => ({ rule: r.rule, lastRunAt: num(r.lastRunAt), runs: num(r.runs), failed: num(r.failed) }));
    },

    /** Pairs of rules that both ran for one recorded event, with how many events they shared. */
    async overlaps(range: ReportRange) {
      const rows = await db
        .selectFrom('runs as a')
        .innerJoin('runs as b', (join) =>
          join.onRef('a.event_key', '=', 'b.event_key').onRef('a.rule_id', '<', 'b.rule_id'),
        )
        .select((eb) => ['a.rule_id as first', 'b.rule_id as second', eb.fn.countAll().as('events')])
        .where('a.created_at', '>=', range.from)
        .where('a.created_at', '<', range.to)
        .groupBy(['a.rule_id', 'b.rule_id'])
        .orderBy('events', 'desc')
        .execute();
      return rows.map((r) => ({ rules: [r.first, r.second] as [string, string], events: num(r.events) }));
    },

    /** Failed steps in the window counted by `dimension` and error text (the caller groups similar texts). */
    async failuresBy(dimension: FailureDimension, range: ReportRange) {
      const key = failureKey[dimension];
      const rows = await db
        .selectFrom('steps')
        .innerJoin('runs', 'runs.id', 'steps.run_id')
        .select((eb) => [key.as('key'), 'steps.error as error', eb.fn.countAll().as('failures')])
        .where('steps.state', '=', 'failed')
        .where('steps.finished_at', '>=', range.from)
        .where('steps.finished_at', '<', range.to)
        .groupBy([key, 'steps.error'])
        .execute();
      return rows.map((r) => ({ key: String(r.key), error: r.error ?? '', failures: num(r.failures) }));
    },

    /**
     * Per downstream endpoint (`connector:action`): steps that ended in the window, their outcome,
     * calls made (retries included) and nearest-rank duration percentiles.
     */
    async endpointStats(range: ReportRange) {
      const { rows } = await sql<Record<string, unknown>>`
        with timed as (
          select connector, action, state, attempt, finished_at - started_at as ms,
            row_number() over (partition by connector, action order by finished_at - started_at) as rn,
            count(*) over (partition by connector, action) as n
          from steps
          where state in ('succeeded', 'failed') and started_at is not null
            and finished_at >= ${range.from} and finished_at < ${range.to})
        select connector, action, count(*) as steps,
          sum(case when state = 'succeeded' then 1 else 0 end) as succeeded,
          sum(attempt) as calls,
          sum(attempt - 1) + sum(case when state = 'failed' then 1 else 0 end) as failed_calls,
          min(case when rn * 100 >= n * 50 then ms end) as p50,
          min(case when rn * 100 >= n * 95 then ms end) as p95,
          min(case when rn * 100 >= n * 99 then ms end) as p99
        from timed group by connector, action order by connector, action`.execute(db);
      return rows.map((r) => ({
        endpoint: `${String(r.connector)}:${String(r.action)}`,
        steps: num(r.steps),
        succeeded: num(r.succeeded),
        calls: num(r.calls),
        failedCalls: num(r.failed_calls),
        p50Ms: num(r.p50),
        p95Ms: num(r.p95),
        p99Ms: num(r.p99),
      }));
    },

    /** Manual triggers in the window per person and the groups they were in (JSON array text). */
    async manualTriggers(range: ReportRange) {
      await auditSealed();
      const groups = sql<string>`coalesce(${jsonText('detail', ['groups'])}, '[]')`;
      const rows = await db
        .selectFrom('audit_log')
        .select((eb) => ['actor', groups.as('groups'), eb.fn.countAll().as('triggers')])
        .where('kind', '=', 'rule.triggered')
        .where('at', '>=', range.from)
        .where('at', '<', range.to)
        .groupBy(['actor', groups])
        .execute();
      return rows.map((r) => ({ actor: r.actor, groups: parseGroups(r.groups), triggers: num(r.triggers) }));
    },

    /** Approval decisions in the window per approver: counts and time from the run's start to the decision. */
    async approvals(range: ReportRange) {
      await auditSealed();
      const wait = sql<number>`approvals.decided_at - runs.created_at`;
      const rows = await db
        .selectFrom('approvals')
        .innerJoin('runs', 'runs.id', 'approvals.run_id')
        .select((eb) => [
          'approvals.actor as actor',
          eb.fn.countAll().as('decisions'),
          sql<number>`sum(case when approvals.decision = 'approved' then 1 else 0 end)`.as('approved'),
          sql<number>`avg(${wait})`.as('meanMs'),
          sql<number>`max(${wait})`.as('maxMs'),
        ])
        .where('approvals.decided_at', '>=', range.from)
        .where('approvals.decided_at', '<', range.to)
        .groupBy('approvals.actor')
        .orderBy('approvals.actor')
        .execute();
      return rows.map((r) => ({
        actor: r.actor,
        decisions: num(r.decisions),
        approved: num(r.approved),
        meanMs: num(r.meanMs),
        maxMs: num(r.maxMs),
      }));
    },

    /** API and console identities whose newest use falls in the window. */
    async activeIdentities(range: ReportRange) {
      const rows = await db
        .selectFrom('identity_use')
        .select((eb) => ['subject', eb.fn.max('last_used_at').as('lastUsedAt')])
        .groupBy('subject')
        .having((eb) => eb.fn.max('last_used_at'), '>=', range.from)
        .having((eb) => eb.fn.max('last_used_at'), '<', range.to)
        .orderBy('subject')
        .execute();
      return rows.map((r) => ({ subject: r.subject, lastUsedAt: num(r.lastUsedAt) }));
    },
  };
}
export type ReportRepository = ReturnType<typeof reportRepository>;

function parseGroups(text: string): string[] {
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed.filter((g): g is string => typeof g === 'string') : [];
  } catch {
    return [];
  }
}
