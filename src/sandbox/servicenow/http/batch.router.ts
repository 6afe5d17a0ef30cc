import { Router, type Request } from 'express';
import { isIPv6 } from 'node:net';
import { z } from 'zod';
import { ValidationError } from '../../../errors';

/** A batch still running after this long is cut; its remaining items come back unserviced (§6.5). */
const BATCH_TIME_LIMIT_MS = 30_000;

const batchSchema = z.object({
  batch_request_id: z.string().optional(),
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

/**
 * §6.5 Batch API: `POST /api/now/v1/batch` runs its items one after another as the caller, each
 * with its own status, and answers `serviced_requests` (bodies Base64) and `unserviced_requests`.
 * Items go to this same server over loopback, so each behaves exactly as the single call would.
 */
export function batchRouter(): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const parsed = batchSchema.safeParse(req.body);
    if (!parsed.success)
      throw new ValidationError(
        'batch request',
        parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    const { batch_request_id, rest_requests } = parsed.data;
    const deadline = Date.now() + BATCH_TIME_LIMIT_MS;
    const serviced = [];
    const unserviced: string[] = [];
    for (const item of rest_requests) {
      if (Date.now() > deadline) unserviced.push(item.id);
      else serviced.push(await runItem(req, item));
    }
    res.json({
      batch_request_id: batch_request_id ?? '',
      serviced_requests: serviced,
      unserviced_requests: unserviced,
    });
  });
  return router;
}

async function runItem(req: Request, item: BatchItem) {
  const started = Date.now();
  const headers = new Headers(item.headers.map(({ name, value }) => [name, value] as [string, string]));
  headers.set('Authorization', req.get('Authorization') ?? '');
  const response = await fetch(`${localOrigin(req)}${item.url}`, {
    method: item.method,
    headers,
    body: item.body === undefined ? undefined : Buffer.from(item.body, 'base64'),
  });
  const body = Buffer.from(await response.arrayBuffer());
  return {
    id: item.id,
    status_code: response.status,
    status_text: response.statusText,
    headers: item.exclude_response_headers ? [] : [...response.headers].map(([name, value]) => ({ name, value })),
    body: body.toString('base64'),
    execution_time: Date.now() - started,
  };
}

/** The address this request arrived on, which reaches this same server. */
function localOrigin(req: Request): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  return `http://${isIPv6(address) ? `[${address}]` : address}:${req.socket.localPort}`;
}
