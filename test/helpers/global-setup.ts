import pg from 'pg';
import { SCHEMA_DROP_LOCK, TEST_POSTGRES_URL } from './stores';

/** Schemas older than this are left by finished runs; younger ones may belong to a run in progress. */
const STALE_AFTER_SECONDS = 3600;

/** Whether the process that made a schema (its name carries the pid) is gone: its run has ended. */
function creatorGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Drops the per-test PostgreSQL schemas of earlier runs: those an hour old, and younger ones whose
 * worker process has ended. Tests never drop their own schema on close: a DROP while another
 * worker's migrator reads the catalog makes that read fail. Left to pile up, the schemas of a few
 * runs (some 20,000 relations each) slow every migration (Kysely's reads the whole catalog) several
 * times over.
 */
export default async function dropOldTestSchemas(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_DROP_LOCK]);
    const { rows } = await client.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 't\\_%'`,
    );
    const cutoff = Math.floor(Date.now() / 1000) - STALE_AFTER_SECONDS;
    const stale = rows.filter(({ name }) => {
      const [, createdAt, pid] = /^t_(\d{10})_(\d+)_/.exec(name) ?? [];
      return !createdAt || Number(createdAt) < cutoff || creatorGone(Number(pid));
    });
    for (const { name } of stale) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}
