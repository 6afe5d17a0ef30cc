import { CompiledQuery, sql } from 'kysely';
import { inboxRepository } from '../../../src/store/inbox.repository';
import { outboxRepository } from '../../../src/store/outbox.repository';
import { runRepository } from '../../../src/store/run.repository';
import { capturingStatements } from '../../helpers/captured-statements';
import { openTestStore, type TestStore } from '../../helpers/stores';

const ROWS = 3000;
const LIMIT = 25;

/**
 * A burst on PostgreSQL: thousands of events, steps and write-backs become due within seconds,
 * while the planner's statistics still describe the quiet hour before (nothing due). A claim must
 * still read about as far as its limit, not every due row: the claims run on every round of every
 * instance's loops, and reading and sorting all due rows was most of the database's time under
 * load (docs/benchmarks.md, session 9). Checked with the statements each claim runs, replayed
 * under EXPLAIN ANALYZE in a transaction that is rolled back.
 */
describe('claims read as far as their limit under a burst, whatever the statistics (PostgreSQL)', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore('postgres');
    const db = t.store.db;
    // The quiet hour: everything handled, and the statistics taken then.
    await sql`insert into runs (id, rule_id, rule_version, table_name, sys_id, ticket_number, event_key, state, context, correlation_id, created_at, updated_at)
      select 'r' || g, 'rule', 'v1', 'incident', 's' || g, 'INC' || g, 'k' || g, 'succeeded', '{}', 'c' || g, g, g
      from generate_series(1, ${ROWS}) g`.execute(db);
    await sql`insert into steps (id, run_id, idx, name, connector, action, params, state, attempt, idempotency_key, next_at)
      select 'st' || g, 'r' || g, 0, 'restart', 'ansible', 'launch_job_template', '{}', 'succeeded', 1, 'i' || g, g
      from generate_series(1, ${ROWS}) g`.execute(db);
    await sql`insert into outbox (id, run_id, table_name, sys_id, ticket_number, fields, marker, state, attempts, next_at, created_at, seq)
      select 'o' || g, 'r' || g, 'incident', 's' || g, 'INC' || g, '{}', 'm', 'sent', 1, g, g, g
      from generate_series(1, ${ROWS}) g`.execute(db);
    await sql`insert into inbox_events (event_key, table_name, sys_id, number, mod_count, kind, source, payload, correlation_id, received_at, status, processed_at)
      select 'e' || g, 'incident', 's' || (g % 1000), 'INC' || g, g / 1000, 'updated', 'webhook', '{}', 'c' || g, g, 'done', g
      from generate_series(1, ${ROWS}) g`.execute(db);
    await sql`analyze runs, steps, outbox, inbox_events`.execute(db);
    // The burst, unseen by the statistics: all of it due at once, each step having moved twice.
    await sql`update inbox_events set status = 'pending', processed_at = null`.execute(db);
    await sql`update steps set state = 'pending', next_at = 0`.execute(db);
    await sql`update steps set state = 'starting'`.execute(db);
    await sql`update steps set state = 'pending'`.execute(db);
    await sql`update outbox set state = 'pending', next_at = 0`.execute(db);
  });
  afterAll(() => t?.close());

  /**
   * Rows each statement `claim` runs read from `table` (and its plan, to explain a failure),
   * replayed as the claim ran them: under the same transaction settings, rolled back.
   */
  async function rowsRead(table: string, claim: (db: TestStore['store']['db']) => Promise<unknown[]>) {
    const { db, statements } = capturingStatements(t.store.db);
    const claimed = await claim(db);
    expect(claimed).toHaveLength(LIMIT);
    const plans: { sql: string; rows: number; nodes: string[] }[] = [];
    await t.store.db
      .transaction()
      .execute(async (trx) => {
        for (const statement of statements) {
          // The claim's own transaction control: its settings are taken into the replay's transaction.
          if (/^(begin|commit)\b/.test(statement.sql)) {
            if (statement.sql.includes('enable_sort')) await sql`set local enable_sort = off`.execute(trx);
            continue;
          }
          const { rows } = await trx.executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
            CompiledQuery.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.sql}`, [...statement.parameters]),
          );
          const plan = rows[0]!['QUERY PLAN'][0].Plan;
          plans.push({ sql: statement.sql.slice(0, 60), rows: rowsReadFrom(table, plan), nodes: nodesOf(plan) });
        }
        throw new RolledBack();
      })
      .catch((err: unknown) => {
        if (!(err instanceof RolledBack)) throw err;
      });
    return plans;
  }

  /** The statements that read more than a few rows per row claimed: none. */
  const readTooFar = (plans: Awaited<ReturnType<typeof rowsRead>>) => plans.filter((p) => p.rows > 10 * LIMIT);

  it("the dispatcher's claim of inbox events, one per ticket, its oldest pending version", async () => {
    const plans = await rowsRead('inbox_events', (db) =>
      inboxRepository(db, 'postgres').claimPending('a', Date.now(), 30_000, LIMIT),
    );
    expect(readTooFar(plans)).toEqual([]);
  });

  it("a step worker's claim of due steps", async () => {
    const plans = await rowsRead('steps', (db) =>
      runRepository(db, 'postgres').claimDueSteps('a', Date.now(), 30_000, LIMIT),
    );
    expect(readTooFar(plans)).toEqual([]);
  });

  it("the outbox's claim of due write-backs", async () => {
    const plans = await rowsRead('outbox', (db) =>
      outboxRepository(db, 'postgres').claimDue('a', Date.now(), 30_000, LIMIT),
    );
    expect(readTooFar(plans)).toEqual([]);
  });
});

class RolledBack extends Error {}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** Rows the plan's scans of `table` read: those they returned and those their filters removed, on every loop. */
function rowsReadFrom(table: string, plan: PlanNode): number {
  const own =
    plan['Relation Name'] === table && plan['Node Type'] !== 'ModifyTable'
      ? (plan['Actual Rows'] + (plan['Rows Removed by Filter'] ?? 0)) * plan['Actual Loops']
      : 0;
  return own + (plan.Plans ?? []).reduce((sum, child) => sum + rowsReadFrom(table, child), 0);
}

/** "Node Type on relation (index)" for a plan and all its children. */
function nodesOf(plan: PlanNode): string[] {
  const self = [
    plan['Node Type'],
    plan['Relation Name'] && `on ${plan['Relation Name']}`,
    plan['Index Name'] && `(${plan['Index Name']})`,
  ]
    .filter(Boolean)
    .join(' ');
  return [self, ...(plan.Plans ?? []).flatMap(nodesOf)];
}
