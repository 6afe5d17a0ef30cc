import { setTimeout as delay } from 'node:timers/promises';
import type { RequestHandler, Response } from 'express';
import type { QueuedRequests } from '../http/queued-requests';
import type { FaultAction, FaultInjector, FaultTarget } from './fault-injector';

/** Status texts as each API words them (ServiceNow's envelope of docs/servicenow-behaviour.md §1.5, AWX's `detail`). */
function sendInjected(res: Response, target: FaultTarget, action: Extract<FaultAction, { kind: 'status' }>): void {
  res.status(action.status);
  if (action.rateLimit) {
    if (action.rateLimit.headers) {
      res.set({
        'X-RateLimit-Limit': '0',
        'X-RateLimit-Reset': String(action.rateLimit.resetAtSeconds),
        'X-RateLimit-Rule': '0000000000000000000000000000fa17',
        'Retry-After': String(action.rateLimit.retryAfterSeconds),
      });
    }
  }
  if (target === 'awx') {
    res.json({ detail: action.status === 429 ? 'Request was throttled.' : 'A server error has occurred.' });
    return;
  }
  const message =
    action.status === 429 ? 'Rate limit exceeded' : action.status >= 500 ? 'Internal Server Error' : 'Injected failure';
  const detail =
    action.status === 429 && action.rateLimit?.headers
      ? 'Rate limit of 0 requests per hour for Table API exceeded'
      : null;
  res.json({ error: { message, detail }, status: 'failure' });
}

/**
 * The API does its work now, but its answer leaves only after `ms`: a caller whose timeout is
 * shorter gives up on a request that did happen (a launched job, an applied PATCH).
 */
function holdAnswer(res: Response, ms: number): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((...args: unknown[]) => {
    setTimeout(() => end(...args), ms).unref();
    return res;
  }) as Response['end'];
}

/**
 * Applies the injector's plan for `target` to each request before the API sees it: delays (a
 * delayed request is carried out even if its caller gave up meanwhile, see QueuedRequests),
 * answers an error in the API's own shape, or drops the connection without an answer.
 */
export function injectFaults(faults: FaultInjector, target: FaultTarget, queue: QueuedRequests): RequestHandler {
  return async (req, res, next) => {
    if (queue.hasPassed(req, 'faults')) return next();
    const latency = faults.latencyMs(target, req.method, req.originalUrl);
    const action = faults.decide(target, req.method, req.originalUrl);
    if (action.kind === 'slow') holdAnswer(res, action.ms);
    if (action.kind === 'pass' || action.kind === 'slow')
      return latency > 0 ? queue.serveAfter(req, res, latency, 'faults').catch(next) : next();
    // Nothing below is carried out, so the wait needs no queue.
    if (latency > 0) await delay(latency);
    switch (action.kind) {
      case 'status':
        return sendInjected(res, target, action);
      case 'drop':
        req.socket.destroy();
        return;
      case 'hang':
        // Keep the socket open and silent; the client's timeout should fire first.
        await delay(action.ms);
        req.socket.destroy();
        return;
    }
  };
}
