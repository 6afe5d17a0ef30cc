import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, repositories, type Store } from '../../../src/store';

/** Commits 300 events of 2 KB each: about 150 pages, far below SQLite's own checkpoint (16,000). */
async function writeEvents(store: Store) {
  const inbox = repositories(store).inbox;
  await inbox.appendAll(
    Array.from({ length: 300 }, (_, i) => ({
      event_key: `incident:${String(i).padStart(32, '0')}:0`,
      table_name: 'incident',
      sys_id: String(i).padStart(32, '0'),
      number: `INC${i}`,
      mod_count: 0,
      kind: 'inserted',
      source: 'webhook' as const,
      payload: JSON.stringify({ description: 'x'.repeat(2000) }),
      correlation_id: `c${i}`,
      received_at: Date.now(),
    })),
  );
}

describe('SQLite checkpoints from a thread of their own', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'snowline-ckpt-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function databaseGrowth(checkpointInBackground: boolean): Promise<number> {
    const path = join(dir, `${checkpointInBackground}.db`);
    const store = await openStore({ sqlitePath: path, checkpointInBackground });
    try {
      const before = statSync(path).size;
      await writeEvents(store);
      await new Promise((r) => setTimeout(r, 400));
      return statSync(path).size - before;
    } finally {
      await store.close();
    }
  }

  it('copies committed writes into the database file soon, without the serving connection doing it', async () => {
    expect(await databaseGrowth(true)).toBeGreaterThan(300 * 2000);
  });

  it('is off unless asked for: the writes then stay in the WAL until SQLite checkpoints itself', async () => {
    expect(await databaseGrowth(false)).toBeLessThan(300 * 2000);
  });
});
