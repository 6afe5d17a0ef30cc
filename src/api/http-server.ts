import type { Server, ServerOptions } from 'node:http';

/** How long a client may take, in ms: a slow or stalled client cannot hold a connection (or a shutdown). */
export interface ServerTimeouts {
  /** The whole request, headers and body. */
  requestTimeoutMs: number;
  /** The headers alone. */
  headersTimeoutMs: number;
}

/** Server options with the timeouts set, so a slow or stalled client cannot hold a connection. */
export function serverOptions(timeouts: ServerTimeouts): ServerOptions {
  return {
    requestTimeout: timeouts.requestTimeoutMs,
    // Node requires headersTimeout ≤ requestTimeout.
    headersTimeout: Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs),
    keepAliveTimeout: 5_000,
    // Node looks for expired requests this often (default 30 s, which would let a stalled client linger).
    connectionsCheckingInterval: Math.min(1_000, timeouts.headersTimeoutMs),
  };
}

/**
 * Stops taking connections and closes the idle ones at once; requests still in progress get until
 * `graceMs`, then their connections are closed too, so a slow client cannot hold a shutdown.
 */
export async function closeServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
  deadline.unref();
  await closed;
  clearTimeout(deadline);
}
