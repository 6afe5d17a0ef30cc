import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import type { Logger } from '../observability/logger';
import { postgresConnection, type Store } from './database';

/** Which loop new work is for: inbox events to dispatch, steps due, write-backs to send. */
export type WorkKind = 'inbox' | 'steps' | 'outbox';
const KINDS: readonly WorkKind[] = ['inbox', 'steps', 'outbox'];

/**
 * How instances tell each other there is new work, so an idle one starts on it at once instead of
 * at its next poll (polling stays, as the safety net and for work that falls due by time).
 */
export interface WorkSignals {
  /** Tells the other instances; several signals of one kind within a few ms go as one. */
  notify(kind: WorkKind): void;
  /** Called with each kind another instance signalled. */
  onSignal(handler: (kind: WorkKind) => void): void;
  close(): Promise<void>;
}

/** One process (SQLite): its own loops wake each other, there is no one else to tell. */
export const soleInstanceSignals: WorkSignals = {
  notify: () => undefined,
  onSignal: () => undefined,
  close: async () => undefined,
};

export interface PostgresSignalsOptions {
  store: Store;
  /** The store's connection settings: the listener needs a session of its own. */
  connection: pg.ClientConfig;
  /** The store's schema: deployments sharing a database hear only their own signals. */
  schema: string;
  logger: Logger;
  /** Between attempts to listen again after the connection failed. */
  reconnectMs?: number;
}

const CHANNEL = 'snowline_work';
/** Signals of one kind sent within this time go as one NOTIFY. */
const COALESCE_MS = 5;

/**
 * LISTEN/NOTIFY on PostgreSQL. NOTIFY goes through the pool after the work committed; LISTEN holds
 * a connection of its own (a pooled one would lose its registration when recycled), rebuilt when
 * it fails. A lost signal costs only latency: the loops still poll.
 *
 * A signal names its sender (`schema:kind:sender`), and an instance ignores its own: PostgreSQL
 * delivers a NOTIFY to every listening session, the sender's included, and the sender's loops were
 * woken already; once idle, hearing itself would cost each loop a claim that finds nothing. A
 * signal without a sender (an older version) wakes everyone.
 */
export function postgresWorkSignals(options: PostgresSignalsOptions): WorkSignals {
  const { store, schema, logger } = options;
  const reconnectMs = options.reconnectMs ?? 2_000;
  const handlers: ((kind: WorkKind) => void)[] = [];
  const sender = randomUUID();
  const due = new Set<WorkKind>();
  let flush: NodeJS.Timeout | undefined;
  let listener: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  const send = async () => {
    flush = undefined;
    const kinds = [...due];
    due.clear();
    if (kinds.length === 0) return;
    // Every kind due in one statement: a round trip per flush, not per kind.
    const notifies = kinds.map((kind) => sql`pg_notify(${CHANNEL}, ${`${schema}:${kind}:${sender}`})`);
    await sql`select ${sql.join(notifies)}`.execute(store.db).catch((err: Error) =>
      logger.debug('work signal not sent; the other instances find the work at their next poll', {
        error: err.message,
      }),
    );
  };

  const heard = (payload: string | undefined) => {
    const [from, kind, by] = (payload ?? '').split(':');
    if (from !== schema || !KINDS.includes(kind as WorkKind) || by === sender) return;
    for (const handler of handlers) handler(kind as WorkKind);
  };

  async function listen(): Promise<void> {
    if (closed) return;
    const client = new pg.Client({ ...options.connection, keepAlive: true });
    const lost = (reason: string) => {
      if (listener !== client) return;
      listener = undefined;
      client.end().catch(() => undefined);
      if (closed) return;
      logger.warn('work signals lost their connection; polling alone finds new work until it is back', { reason });
      retry = setTimeout(() => void listen(), reconnectMs);
    };
    listener = client;
    client.on('error', (err) => lost(err.message));
    client.on('end', () => lost('connection closed'));
    client.on('notification', (message) => heard(message.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      lost((err as Error).message);
    }
  }
  void listen();

  return {
    notify(kind) {
      if (closed) return;
      due.add(kind);
      flush ??= setTimeout(() => void send(), COALESCE_MS);
    },
    onSignal(handler) {
      handlers.push(handler);
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      if (flush) {
        clearTimeout(flush);
        await send();
      }
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}

/** Signals for a store opened with `options`: LISTEN/NOTIFY on PostgreSQL, none on SQLite. */
export function workSignalsFor(
  store: Store,
  options: { postgresUrl?: string; postgresSchema?: string },
  logger: Logger,
): WorkSignals {
  if (store.dialect !== 'postgres' || !options.postgresUrl) return soleInstanceSignals;
  return postgresWorkSignals({
    store,
    connection: postgresConnection(options.postgresUrl, options.postgresSchema),
    schema: options.postgresSchema ?? 'public',
    logger,
  });
}
