import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Request, Response } from 'express';
import type { InProcessAnswer, InProcessRequest } from './in-process';

/** Headers of the connection, not of the answer: the real response sets its own. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);
const REPLAY_HEADER = 'x-sandbox-queued';
/**
 * Where a request can be held, in the order the app meets them: a request served after its wait at
 * one has already passed that one and those before it, and meets only those after.
 */
const HOLDS = ['latency', 'faults'] as const;
export type Hold = (typeof HOLDS)[number];

/**
 * Requests the instance has received and queued for a while (latency: it is busy) before it runs
 * them. Like a real instance, it runs what it has queued even when the caller gave up meanwhile:
 * a PATCH or an upload whose client timed out still lands, later, and only its answer is lost.
 * (Left to Express, the body of a request whose caller has gone is discarded, and the route would
 * run with none: an empty attachment, a PATCH of nothing.) So the body is read as the request
 * arrives, and after the wait the request is served in-process; the answer goes to the caller when
 * it is still there.
 */
export function queuedRequests(dispatch: () => (request: InProcessRequest) => Promise<InProcessAnswer>) {
  // Marks a request served after its wait, with where it waited, so what it already met is not met again.
  const token = randomUUID();
  return {
    /** Whether the request has already passed `hold` (it is being served after a wait there or later). */
    hasPassed(req: Request, hold: Hold): boolean {
      const [mark, heldAt] = (req.get(REPLAY_HEADER) ?? '').split(' ');
      return mark === token && HOLDS.indexOf(heldAt as Hold) >= HOLDS.indexOf(hold);
    },

    async serveAfter(req: Request, res: Response, ms: number, hold: Hold): Promise<void> {
      let body: Buffer;
      try {
        body = await readBody(req);
      } catch {
        return; // the caller left before the request had arrived whole: nothing to run
      }
      await delay(ms);
      const answer = await dispatch()({
        method: req.method,
        url: req.originalUrl,
        headers: { ...flatHeaders(req), [REPLAY_HEADER]: `${token} ${hold}` },
        body: body.length > 0 ? body : undefined,
        remoteAddress: req.socket.remoteAddress,
      });
      if (res.destroyed || res.writableEnded) return;
      res.status(answer.status);
      for (const [name, value] of Object.entries(answer.headers))
        if (value !== undefined && !CONNECTION_HEADERS.has(name.toLowerCase())) res.setHeader(name, value);
      res.end(answer.body);
    },
  };
}
export type QueuedRequests = ReturnType<typeof queuedRequests>;

function readBody(req: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('aborted', () => reject(new Error('the request was aborted')));
    req.on('error', reject);
  });
}

function flatHeaders(req: Request): Record<string, string> {
  return Object.fromEntries(
    Object.entries(req.headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
    ),
  );
}
