import { Router, type Request, type Response } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { rolesGrant } from '../security/roles';
import { issueStreamTicket, verifyStreamTicket } from '../security/stream-ticket';
import { sendError } from '../errors/http-error';
import type { LiveChanges } from './live-changes';
import type { RouteDefinition } from './route';

export interface LiveOptions {
  changes: LiveChanges;
  /** The JWT secret; stream tickets are signed with a key derived from it. */
  jwtSecret: string;
  /** Streams open at once on this instance; more are refused with 503 (the console then polls). */
  maxStreams: number;
}

/** A comment line now and then keeps proxies and the browser from taking a quiet stream for a dead one. */
const HEARTBEAT_MS = 15_000;

/** The bearer token's own end (epoch seconds); the ticket's stream must not outlive it. */
function bearerExpiry(req: Request): number {
  const token = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
  const exp = (token && (jwt.decode(token) as { exp?: unknown } | null)?.exp) ?? undefined;
  return typeof exp === 'number' ? exp : Math.floor(Date.now() / 1000);
}

/** `POST /live/tickets`: trades the caller's bearer token for a stream ticket (an authenticated route like any other). */
export function liveTicketRoutes(options: Pick<LiveOptions, 'jwtSecret'>): RouteDefinition[] {
  return [
    {
      method: 'post',
      path: '/live/tickets',
      permission: 'runs:read',
      summary:
        'A ticket valid for one minute that opens GET /api/v1/live (Server-Sent Events: runs and inbox events changed); EventSource cannot send a bearer token',
      response: z.object({ ticket: z.string(), expiresAt: z.string() }),
      handle: async (req) => issueStreamTicket(options.jwtSecret, req.identity!, bearerExpiry(req)),
    },
  ];
}

/**
 * `GET /api/v1/live?ticket=…` (mounted at that path): a Server-Sent Events stream telling the console what changed
 * (`event: change`, data `{ runs: [ids], counts }`); the console then reads what it shows through
 * the API as before, so the stream carries no data a role could not read. Mounted before the API's
 * bearer authentication: the ticket is its authentication.
 */
export function liveRouter(options: LiveOptions): Router {
  const router = Router();
  let open = 0;
  router.get('/', (req: Request, res: Response) => {
    let granted;
    try {
      granted = verifyStreamTicket(options.jwtSecret, String(req.query.ticket ?? ''));
    } catch (err) {
      return sendError(res, 401, 'auth.invalid_token', (err as Error).message);
    }
    if (!rolesGrant(granted.identity.roles, 'runs:read'))
      return sendError(res, 403, 'auth.forbidden', 'permission runs:read is required');
    if (open >= options.maxStreams)
      return sendError(res, 503, 'live.busy', 'too many live streams open; poll the API instead');
    open++;
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    // How long the browser waits before reconnecting by itself (it then needs a new ticket).
    res.write('retry: 5000\n\n');
    const unsubscribe = options.changes.subscribe({
      change: (change) => res.write(`event: change\ndata: ${JSON.stringify(change)}\n\n`),
      closed: () => res.end(),
    });
    const heartbeat = setInterval(() => res.write(': still here\n\n'), HEARTBEAT_MS);
    const expiry = setTimeout(() => res.end(), Math.max(0, granted.untilMs - Date.now()));
    const end = () => {
      open--;
      unsubscribe();
      clearInterval(heartbeat);
      clearTimeout(expiry);
    };
    res.once('close', end);
  });
  return router;
}
