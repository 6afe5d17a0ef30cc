import pg from 'pg';
import type { Logger } from '../observability/logger';
import type { Leadership } from './leadership';

export interface PostgresLeadershipOptions {
  /** The store's connection settings (same database and schema as the pool). */
  connection: pg.ClientConfig;
  /** How often a follower tries to take the lock and the leader checks its connection, in ms. */
  checkMs: number;
  logger: Logger;
}

/** First key of the advisory lock; the second is the schema's hash, so deployments sharing a database elect separately. */
const LEADER_LOCK_CLASS = 0x536e6f77; // "Snow"
const TRY_LOCK = 'SELECT pg_try_advisory_lock($1, hashtext(current_schema())) AS acquired';
/** A dead connection must be noticed within about one check, not after the OS's TCP timeout. */
const QUERY_TIMEOUT_MS = 5000;

/**
 * Leadership by a PostgreSQL session advisory lock, held on a connection of its own: a pooled
 * connection would carry the lock to whichever query borrows it next, or drop it when the pool
 * recycles it. The lock lives as long as that session, so a leader that crashes or loses its
 * connection frees it, and a follower's next attempt takes over. A leader that cannot reach the
 * database steps down at once, before the server may have handed the lock to another instance.
 */
export function createPostgresLeadership(options: PostgresLeadershipOptions): Leadership & { start(): Promise<void> } {
  const { logger } = options;
  let client: pg.Client | undefined;
  let leader = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  /** A leader whose connection failed is the likelier sick one: it sits out a while so a follower takes over. */
  let sitOutUntil = 0;

  function drop(failed: pg.Client, reason: string): void {
    if (failed !== client) return;
    if (leader) {
      logger.warn('leadership lost: its database connection failed; scheduled jobs pause here', { reason });
      sitOutUntil = Date.now() + 2 * options.checkMs;
    }
    leader = false;
    client = undefined;
    failed.end().catch(() => undefined);
  }

  async function connect(): Promise<pg.Client> {
    const fresh = new pg.Client({
      ...options.connection,
      keepAlive: true,
      query_timeout: QUERY_TIMEOUT_MS,
      connectionTimeoutMillis: QUERY_TIMEOUT_MS,
    });
    fresh.on('error', (err) => drop(fresh, err.message));
    fresh.on('end', () => drop(fresh, 'connection closed'));
    client = fresh;
    try {
      await fresh.connect();
    } catch (err) {
      drop(fresh, (err as Error).message);
      throw err;
    }
    return fresh;
  }

  async function round(): Promise<void> {
    if (Date.now() < sitOutUntil) return;
    // An unreachable database is tried again at the next round.
    const session = client ?? (await connect().catch(() => undefined));
    if (!session || stopped) return;
    try {
      if (leader) {
        await session.query('SELECT 1');
        return;
      }
      const { rows } = await session.query<{ acquired: boolean }>(TRY_LOCK, [LEADER_LOCK_CLASS]);
      if (rows[0]?.acquired && session === client) {
        leader = true;
        logger.info('this instance now leads: it runs the scheduled jobs');
      }
    } catch (err) {
      drop(session, (err as Error).message);
    }
  }

  const schedule = () => {
    if (!stopped) timer = setTimeout(() => void (current = round().finally(schedule)), options.checkMs);
  };

  return {
    isLeader: () => leader,
    async start() {
      await (current = round());
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
      const session = client;
      client = undefined;
      leader = false;
      // Ending the session releases its lock: a follower takes over at its next attempt.
      await session?.end().catch(() => undefined);
    },
  };
}
