import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSharedLimiters } from '../../connectors/rate-limiters';
import { silentLogger } from '../../src/observability/logger';
import { openStore, repositories, type Repositories } from '../../src/store';
import { countingBackend, limitedIncident, startLimitedEngine } from '../helpers/limited-engine';

export interface ConnectorLimitsBenchResult {
  /** The limited connector's maxConcurrent (http, per host). */
  limit: number;
  /** Most requests the backend saw at once. */
  maxInFlight: number;
  /** Limited runs, and how long the backend took to serve them all. */
  limitedRuns: number;
  limitedSeconds: number;
  /** Runs of the other connector completed while the limited ones went on, and their rate. */
  otherRuns: number;
  otherRunsPerSecond: number;
  /** The other connector's rate with nothing limited in the way, for comparison. */
  otherAloneRunsPerSecond: number;
  /** Whether the limits were shared through Redis (BENCH_REDIS_URL). */
  shared: boolean;
}

/**
 * One instance on SQLite, http connector limited to `limit` at once against a loopback backend that
 * answers after `delayMs`; `limitedRuns` runs call it while `otherRuns` runs of an unlimited
 * connector go through the same 32 workers. The other connector's runs/s is measured alone first.
 */
export async function benchConnectorLimits(
  options: { limit?: number; limitedRuns?: number; otherRuns?: number; delayMs?: number; redisUrl?: string } = {},
): Promise<ConnectorLimitsBenchResult> {
  const { limit = 4, limitedRuns = 200, otherRuns = 1000, delayMs = 50, redisUrl } = options;
  const dir = mkdtempSync(join(tmpdir(), 'snowline-bench-limits-'));
  const store = await openStore({ sqlitePath: join(dir, 'bench.db') });
  const repos = repositories(store);
  const backend = await countingBackend(delayMs);
  const limiters = createSharedLimiters({
    redisUrl,
    logger: silentLogger(),
    keyPrefix: `bench-${process.pid}-${Date.now()}`,
  });
  const http = { endpoints: { backend: { baseUrl: backend.url } }, maxConcurrent: limit };
  const engine = startLimitedEngine({ store, repos, owner: 'bench', http, limiters, concurrency: 32 });
  try {
    const alone = await timeRuns(repos, 'quick-fix', otherRuns, async () => {
      for (let n = 0; n < otherRuns; n++) await engine.intake.accept(limitedIncident(n, 'quick'), 'webhook');
    });
    const limitedStart = performance.now();
    for (let n = 0; n < limitedRuns; n++) await engine.intake.accept(limitedIncident(n, 'api'), 'webhook');
    const mixed = await timeRuns(repos, 'quick-fix', 2 * otherRuns, async () => {
      for (let n = 0; n < otherRuns; n++)
        await engine.intake.accept(limitedIncident(otherRuns + n, 'quick'), 'webhook');
    });
    await waitForSucceeded(repos, 'call-api', limitedRuns);
    const limitedSeconds = (performance.now() - limitedStart) / 1000;
    return {
      limit,
      maxInFlight: backend.seen.maxInFlight,
      limitedRuns,
      limitedSeconds,
      otherRuns,
      otherRunsPerSecond: otherRuns / mixed,
      otherAloneRunsPerSecond: otherRuns / alone,
      shared: redisUrl !== undefined,
    };
  } finally {
    await engine.stop();
    await limiters.close();
    await backend.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seconds from `offer` starting until `rule` has `total` succeeded runs. */
async function timeRuns(repos: Repositories, rule: string, total: number, offer: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await offer();
  await waitForSucceeded(repos, rule, total);
  return (performance.now() - start) / 1000;
}

async function waitForSucceeded(repos: Repositories, rule: string, total: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const runs = await repos.runs.list({ rule, state: 'succeeded', limit: total });
    if (runs.length >= total) return;
    if (Date.now() > deadline) {
      const all = await repos.runs.list({ rule, limit: 2 * total });
      const states = new Map<string, number>();
      for (const r of all)
        states.set(`${r.state}/${r.steps[0]?.state}`, (states.get(`${r.state}/${r.steps[0]?.state}`) ?? 0) + 1);
      throw new Error(
        `connector-limits bench: ${runs.length} of ${total} ${rule} runs succeeded (${[...states].join(', ')})`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
