import { CompiledQuery, type Kysely } from 'kysely';
import { runHistoryRepository } from '../../../src/store/run-history.repository';
import { runRepository } from '../../../src/store/run.repository';
import type { Tables } from '../../../src/store/schema';
import { capturingStatements } from '../../helpers/captured-statements';
import { openTestStore, type TestStore } from '../../helpers/stores';

/**
 * Questions asked of a time range, on a schedule or from the console, are answered from an index:
 * on SQLite a query runs inside the event loop, and reading a whole inbox or run table there holds
 * every webhook waiting for its answer. Checked by SQLite's own query plans of the statements each
 * question runs.
 */
describe('time-range questions read an index, not the whole table (SQLite plans)', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore('sqlite');
  });
  afterAll(() => t?.close());

  /** The plan lines of every statement `ask` runs against the store. */
  async function plansOf(ask: (db: Kysely<Tables>) => Promise<unknown>): Promise<string[][]> {
    const { db, statements } = capturingStatements(t.store.db);
    await ask(db);
    expect(statements.length).toBeGreaterThan(0);
    const plans: string[][] = [];
    for (const { sql, parameters } of statements) {
      const { rows } = await t.store.db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`EXPLAIN QUERY PLAN ${sql}`, [...parameters]),
      );
      plans.push(rows.map((r) => r.detail));
    }
    return plans;
  }

  const fullScans = (plans: string[][]) =>
    plans.flat().filter((line) => /^SCAN (inbox_events|runs)\b/.test(line) && !/USING (COVERING )?INDEX/.test(line));

  it("the alert evaluation's count of events by source, and whether webhooks arrive at all", async () => {
    const since = Date.now() - 3_600_000;
    const plans = await plansOf(async (db) => {
      await runHistoryRepository(db).eventsBySource(since);
      await runHistoryRepository(db).webhookSeenSince(since);
    });
    expect(fullScans(plans)).toEqual([]);
  });

  it("the console's overview and the run list, newest first", async () => {
    const plans = await plansOf(async (db) => {
      const runs = runRepository(db, 'sqlite');
      await runs.summariesSince(Date.now() - 86_400_000, 1000);
      await runs.list({ limit: 50 });
      await runs.list({ limit: 50, since: 0, until: Date.now() });
    });
    expect(fullScans(plans)).toEqual([]);
  });
});
