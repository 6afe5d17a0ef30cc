import pg from 'pg';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { signWebhook } from '../../src/security/webhook-signature';
import { postLoad, type LoadResult } from './load';

/** Starts a benchmark target in its own process (the load generator must not share its core). */
async function startTarget(
  mode: 'bare' | 'ingest',
  env: NodeJS.ProcessEnv = {},
): Promise<{ url: string; child: ChildProcess }> {
  const script = join(__dirname, `ingest-server${__filename.slice(-3)}`);
  const child = spawn(process.execPath, [...process.execArgv, script, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`bench target ${mode} exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/webhooks/servicenow`, child };
}

function signedEvents(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const sysId = randomBytes(16).toString('hex');
    const body = Buffer.from(
      JSON.stringify({
        event: 'inserted',
        table: 'incident',
        sys_id: sysId,
        number: `INC${String(1000000 + i).padStart(7, '0')}`,
        sys_mod_count: '0',
        sys_updated_on: '2026-11-28 09:00:00',
        sys_updated_by: 'bench',
        changed_fields: ['short_description'],
        record: {
          sys_id: sysId,
          short_description: `nginx is down on web-${i % 50}`,
          state: '1',
          active: 'true',
          priority: '3',
          description: 'x'.repeat(400),
        },
      }),
    );
    const { timestamp, signature } = signWebhook('bench-secret', body);
    return { body, headers: { 'x-snowline-timestamp': timestamp, 'x-snowline-signature': signature } };
  });
}

export async function benchIngest(
  count: number,
  concurrency: number,
): Promise<{ bare: LoadResult; ingest: LoadResult; ingestPostgres?: LoadResult }> {
  const run = async (mode: 'bare' | 'ingest', env?: NodeJS.ProcessEnv) => {
    const target = await startTarget(mode, env);
    try {
      await postLoad(target.url, signedEvents(Math.min(500, count)), concurrency); // warm-up
      return await postLoad(target.url, signedEvents(count), concurrency);
    } finally {
      target.child.kill('SIGTERM');
    }
  };
  const bare = await run('bare');
  // SQLite even when the PostgreSQL figure is asked for too: the target inherits this environment.
  const ingest = await run('ingest', { BENCH_DATABASE_URL: '' });
  const postgresUrl = process.env.BENCH_DATABASE_URL;
  if (!postgresUrl) return { bare, ingest };
  // A schema of its own, dropped after: the bench never leaves tables in the database's public schema.
  const schema = `bench_ingest_${Date.now()}`;
  try {
    const ingestPostgres = await run('ingest', { BENCH_DATABASE_URL: postgresUrl, BENCH_SCHEMA: schema });
    return { bare, ingest, ingestPostgres };
  } finally {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}
