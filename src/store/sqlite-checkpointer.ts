import { Worker } from 'node:worker_threads';

/**
 * How often the checkpointer copies what the WAL holds into the database file while writes come
 * in: what is left for the serving connection's own checkpoint is at most this much of writing.
 * With no new writes it looks ten times less often.
 */
const CHECKPOINT_EVERY_MS = 25;

/**
 * The checkpointer's thread. Plain JavaScript handed to the worker as source: it must run the same
 * from the built files and under the test runner's TypeScript, and it needs nothing but SQLite.
 * A checkpoint that fails (the file busy for a moment) is simply tried again at the next tick.
 */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
let framesSeen = -1;
let timer;
const tick = () => {
  let frames = framesSeen;
  try { frames = db.pragma('wal_checkpoint(PASSIVE)')[0].log; } catch {}
  const idle = frames === framesSeen; // nothing written since the last look
  framesSeen = frames;
  timer = setTimeout(tick, idle ? workerData.everyMs * 10 : workerData.everyMs);
};
timer = setTimeout(tick, workerData.everyMs);
parentPort.once('message', () => { clearTimeout(timer); db.close(); parentPort.close(); });
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Copies SQLite's WAL into the database file from a thread of its own ("passive" checkpoints,
 * which never hold up a writer). The copy and its wait for the disk then stall no request: left to
 * the committing call, a checkpoint under a webhook burst held the event loop for up to 120 ms
 * (docs/benchmarks.md). The
 * serving connection still checkpoints every WAL_CHECKPOINT_PAGES itself, which is what starts
 * the WAL file over (SQLite restarts it only from a writer); little is left to copy by then. A
 * checkpointer that dies leaves exactly that, SQLite's own checkpoints.
 */
export function startCheckpointer(path: string): Checkpointer {
  const worker = new Worker(CHECKPOINTER_SOURCE, {
    eval: true,
    workerData: { driver: require.resolve('better-sqlite3'), path, everyMs: CHECKPOINT_EVERY_MS },
  });
  worker.unref(); // never what keeps a process alive
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', () => undefined); // see above: the serving connection checkpoints on its own
  return {
    async stop() {
      worker.postMessage('stop');
      await exited;
    },
  };
}
