import pg from 'pg';
import { TEST_POSTGRES_URL } from './stores';

/**
 * Drops the per-test PostgreSQL schemas of earlier runs. Tests never drop their own schema on close:
 * a DROP while another worker's migrator reads the catalog makes that read fail.
 */
export default async function dropOldTestSchemas(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 't\\_%'`);
    for (const { name } of rows) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}
