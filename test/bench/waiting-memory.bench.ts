import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signedEvent, startInstance } from './engine.bench';
import type { InstanceMemoryReport, MemoryFigures } from './engine-protocol';
import { postLoad } from './load';

export interface WaitingMemoryOptions {
  /** Runs brought to wait on a backend job that never finishes. */
  runs: number;
  /** How long each job asks to wait between checks: longer than the measurement, so none is checked meanwhile. */
  jobCheckMs: number;
}

export interface WaitingMemoryResult {
  runs: number;
  /** Steps the store held waiting on their job, unclaimed, when the memory was read. */
  waiting: number;
  /** The instance started, engine loops running, nothing done yet. */
  idle: MemoryFigures;
  /** With every run waiting. */
  loaded: MemoryFigures;
  /** (loaded − idle) RSS per 1,000 waiting runs: what each waiting run costs. */
  marginalMbPer1000: number;
  /** Loaded RSS per 1,000 waiting runs, the process's own baseline included. */
  totalMbPer1000: number;
}

const SETTLE_MS = 2000;
/** Settle rounds without a single step more coming to wait before the figure is given up. */
const STALLED_ROUNDS = 15;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Memory of one SQLite instance (the engine benchmark's instance, in its own process) before and
 * after `runs` runs come to wait on controller jobs that never finish: read after a full GC, once
 * idle and once every run's step is saved as waiting. The runs arrive as a burst of signed webhooks.
 */
export async function benchWaitingMemory(options: WaitingMemoryOptions): Promise<WaitingMemoryResult> {
  const dir = mkdtempSync(join(tmpdir(), 'snowline-bench-'));
  const instance = await startInstance({
    BENCH_DB: join(dir, 'bench.db'),
    BENCH_JOB_CHECK_MS: String(options.jobCheckMs),
    BENCH_DATABASE_URL: '',
    BENCH_SCHEMA: '',
    BENCH_START_TIMES: '0',
  });
  try {
    await sleep(SETTLE_MS);
    const idle = await instance.ask<InstanceMemoryReport>({ type: 'memory' });
    const events = Array.from({ length: options.runs }, signedEvent);
    const load = await postLoad(instance.url, events, 64);
    if (load.errors > 0) throw new Error(`${load.errors} of ${load.requests} webhooks failed`);
    events.length = 0;
    const loaded = await untilAllWait(instance.ask.bind(instance), options.runs);
    const perThousand = (mb: number) => (mb * 1000) / options.runs;
    return {
      runs: options.runs,
      waiting: loaded.waiting,
      idle,
      loaded,
      marginalMbPer1000: perThousand(loaded.rssMb - idle.rssMb),
      totalMbPer1000: perThousand(loaded.rssMb),
    };
  } finally {
    instance.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The instance's memory once `runs` steps wait (the last saves may still be on their way to the store). */
async function untilAllWait(
  ask: (request: { type: 'memory' }) => Promise<InstanceMemoryReport>,
  runs: number,
): Promise<InstanceMemoryReport> {
  let report = await ask({ type: 'memory' });
  for (let stalled = 0; report.waiting < runs;) {
    if (stalled >= STALLED_ROUNDS) throw new Error(`only ${report.waiting} of ${runs} runs came to wait`);
    await sleep(SETTLE_MS);
    const next = await ask({ type: 'memory' });
    stalled = next.waiting > report.waiting ? 0 : stalled + 1;
    report = next;
  }
  return report;
}
