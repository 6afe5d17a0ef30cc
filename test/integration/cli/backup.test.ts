import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, repositories } from '../../../src/store';
import { runCli } from '../../helpers/run-cli';

/** `snowline backup FILE` copies a live SQLite store; the copy opens, holds the data, and its audit chain verifies. */
// Each case starts the CLI as a process (tsx compiles it first): slow on a busy machine.
jest.setTimeout(120_000);

describe('snowline backup', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'snowline-backup-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('backs up a store in use, and the restored copy holds the data and verifies', async () => {
    const live = join(dir, 'snowline.db');
    const store = await openStore({ sqlitePath: live });
    const repos = repositories(store);
    const append = (n: number) =>
      store.db
        .transaction()
        .execute((trx) =>
          repos.audit.append(trx, { kind: 'test.entry', actor: 'test', subject: `s${n}`, detail: { n } }, 1_000 + n),
        );
    for (let n = 0; n < 50; n++) await append(n);
    try {
      // The server keeps writing while the backup runs (the store stays open here).
      const backup = runCli(['backup', join(dir, 'copy.db')], { SNOWLINE_DB: live });
      for (let n = 50; n < 60; n++) await append(n);
      const result = await backup;
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^backed up .*snowline\.db to .*copy\.db \(\d+ pages\)\n$/);
    } finally {
      await store.close();
    }

    // Restore = use the copy as the store.
    const restored = await openStore({ sqlitePath: join(dir, 'copy.db') });
    try {
      const verified = await repositories(restored).audit.verify();
      expect(verified).toMatchObject({ ok: true });
      expect((verified as { entries: number }).entries).toBeGreaterThanOrEqual(50);
    } finally {
      await restored.close();
    }
    const verify = await runCli(['audit', 'verify'], { SNOWLINE_DB: join(dir, 'copy.db') });
    expect(verify.code).toBe(0);
  });

  it('never overwrites a file, and sends PostgreSQL users to pg_dump', async () => {
    const live = join(dir, 'snowline.db');
    await (await openStore({ sqlitePath: live })).close();
    // Each is a process of its own: run them side by side.
    const [exists, pgStore, missing] = await Promise.all([
      runCli(['backup', live], { SNOWLINE_DB: live }),
      runCli(['backup', join(dir, 'x.db')], { SNOWLINE_DB: live, DATABASE_URL: 'postgres://127.0.0.1:5432/test' }),
      runCli(['backup', join(dir, 'y.db')], { SNOWLINE_DB: join(dir, 'none.db') }),
    ]);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toContain('exists; choose a new file, a backup never overwrites');
    expect(pgStore.code).toBe(1);
    expect(pgStore.stderr).toContain('pg_dump');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no SQLite store at');
  });
});
