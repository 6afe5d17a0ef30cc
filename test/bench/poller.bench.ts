import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceNowClient } from '../../connectors/servicenow/client';
import { createIntake } from '../../src/ingest/intake';
import { createPoller } from '../../src/ingest/poller';
import { silentLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createSandbox } from '../../sandbox/server';
import { openStore, repositories } from '../../src/store';

export interface PollerBenchResult {
  records: number;
  seconds: number;
  perSecond: number;
  requests: number;
}

/**
 * Poller throughput: `records` incidents in the sandbox (same process), one catch-up poll into a
 * fresh SQLite inbox, 200 rows per keyset page. Counts the Table API requests it took.
 */
export async function benchPoller(records: number): Promise<PollerBenchResult> {
  const sandbox = createSandbox({
    user: 'admin',
    password: 'admin',
    awxToken: 'sandbox',
    webhookSecret: 'bench-secret',
    webhooksEnabled: false,
    jobDurationMs: 1000,
  });
  const { url } = await sandbox.listen(0);
  const client = new ServiceNowClient({
    url,
    auth: { type: 'basic', username: 'admin', password: 'admin' },
    maxConcurrent: 16,
  });
  const dir = mkdtempSync(join(tmpdir(), 'snowline-bench-'));
  const store = await openStore({ sqlitePath: join(dir, 'bench.db') });
  try {
    let next = 0;
    const insertOne = async (): Promise<void> => {
      while (next < records) {
        const i = next++;
        await client.insert('incident', { short_description: `bench incident ${i}`, description: 'x'.repeat(400) });
      }
    };
    await Promise.all(Array.from({ length: 16 }, insertOne));
    const repos = repositories(store);
    const metrics = createMetrics();
    const intake = createIntake({ inbox: repos.inbox, metrics, onAccepted: () => {} });
    let requests = 0;
    const counting = { query: (...args: Parameters<ServiceNowClient['query']>) => (requests++, client.query(...args)) };
    const poller = createPoller({
      client: counting,
      intake,
      watermarks: repos.watermarks,
      logger: silentLogger(),
      metrics,
      tables: ['incident'],
      overlapSeconds: 5,
    });
    const started = process.hrtime.bigint();
    const fresh = await poller.pollOnce();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { records: fresh, seconds, perSecond: fresh / seconds, requests };
  } finally {
    await client.close();
    await store.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
