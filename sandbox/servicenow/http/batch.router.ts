import { Router, type Request } from 'express';
import { STATUS_CODES } from 'node:http';
import type { InProcessAnswer, InProcessRequest } from '../../http/in-process';
import { z } from 'zod';
import { ValidationError } from '../../../src/errors';

/** A batch still running after this long is cut; its remaining items come back unserviced (docs/servicenow-behaviour.md §6.5). */
export const BATCH_TIME_LIMIT_MS = 30_000;

/** How the instance runs batches. */
export interface BatchSettings {
  /** The transaction quota that cuts a long batch (default 30 s); tests shorten it to see items left unserviced. */
  timeLimitMs?: number;
  /** Told of each item run, so the sandbox can count the calls a batch carried. */
  onItem?: () => void;
}

const batchSchema = z.object({
  // Clients send a number as often as a string; the answer echoes it as a string.
  batch_request_id: z.union([z.string(), z.number().transform(String)]).optional(),
  rest_requests: z.array(
    z.object({
      id: z.string().min(1),
      method: z
        .string()
        .transform((m) => m.toUpperCase())
        .pipe(z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])),
      url: z.string().regex(/^\/api\//, 'must be a relative /api/ path'),
      headers: z.array(z.object({ name: z.string(), value: z.string() })).default([]),
      /** Base64 of the item's body. */
      body: z.string().optional(),
      exclude_response_headers: z.boolean().default(false),
    }),
  ),
});
type BatchItem = z.infer<typeof batchSchema>['rest_requests'][number];

/** Serves a request with the sandbox's own routes, in-process. */
export type Dispatch = (request: InProcessRequest) => Promise<InProcessAnswer>;

/**
 * docs/servicenow-behaviour.md §6.5 Batch API: `POST /api/now/v1/batch` runs its items one after another as the caller, each
 * with its own status, and answers `serviced_requests` (bodies Base64) and `unserviced_requests`.
 * Items are handed to the sandbox's request handler in-process, never back through the HTTP
 * listener: each behaves exactly as the single call would, and an item's URL may be far longer
 * than an HTTP request line allows (clients switch to batch precisely for that).
 */
export function batchRouter(dispatch: () => Dispatch, settings: BatchSettings = {}): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const parsed = batchSchema.safeParse(req.body);
    if (!parsed.success)
      throw new ValidationError(
        'batch request',
        parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    const { batch_request_id, rest_requests } = parsed.data;
    const deadline = Date.now() + (settings.timeLimitMs ?? BATCH_TIME_LIMIT_MS);
    const serviced = [];
    const unserviced: string[] = [];
    for (const item of rest_requests) {
      if (Date.now() > deadline) unserviced.push(item.id);
      else {
        settings.onItem?.();
        serviced.push(await runItem(dispatch(), req, item));
      }
    }
    res.json({
      batch_request_id: batch_request_id ?? '',
      serviced_requests: serviced,
      unserviced_requests: unserviced,
    });
  });
  return router;
}

/** The caller's credentials and address headers travel with each item. */
const INHERITED = ['authorization', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for'];

async function runItem(dispatch: Dispatch, req: Request, item: BatchItem) {
  const started = Date.now();
  const headers: Record<string, string> = Object.fromEntries(item.headers.map(({ name, value }) => [name, value]));
  for (const name of INHERITED) {
    const value = req.get(name);
    if (value !== undefined) headers[name] = value;
  }
  const response = await dispatch({
    method: item.method,
    url: item.url,
    headers,
    body: item.body === undefined ? undefined : Buffer.from(item.body, 'base64'),
    remoteAddress: req.socket.remoteAddress,
  });
  return {
    id: item.id,
    status_code: response.status,
    status_text: response.statusText || STATUS_CODES[response.status] || '',
    headers: item.exclude_response_headers ? [] : responseHeaders(response.headers),
    body: response.body.toString('base64'),
    execution_time: Date.now() - started,
    ...errorMessageOf(response),
  };
}

/** A failed item also names its error outside the Base64 body (docs/servicenow-behaviour.md §6.5 `error_message`). */
function errorMessageOf(response: InProcessAnswer): { error_message?: string } {
  if (response.status < 400) return {};
  try {
    const parsed = JSON.parse(response.body.toString('utf8')) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return { error_message: parsed.error.message };
  } catch {
    // Not an envelope: the status text says enough.
  }
  return { error_message: response.statusText || STATUS_CODES[response.status] || '' };
}

function responseHeaders(headers: Record<string, string | string[] | number | undefined>) {
  return Object.entries(headers).flatMap(([name, value]) =>
    value === undefined ? [] : [value].flat().map((v) => ({ name, value: String(v) })),
  );
}
