import type { ConnectorError } from '../../src/errors';
import { errorFromResponse } from './errors';
import { badArgument } from './request-paths';
import { unexpected, type InstanceRequests } from './instance-requests';

/** One call inside a batch (docs/servicenow-behaviour.md §6.5). `url` is relative and carries its own query string. */
export interface BatchItem {
  id: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  body?: Record<string, unknown>;
  /** Raw bytes sent instead of a JSON body (an attachment upload), with their content type. */
  file?: { bytes: Uint8Array; contentType: string };
}

export type BatchItemResult =
  { ok: true; status: number; body: unknown } | { ok: false; status: number; error: ConnectorError };

export interface BatchOutcome {
  results: Map<string, BatchItemResult>;
  /** Item ids the instance did not get to (cut by the 30 s quota): send them again. */
  unserviced: string[];
}

/** A batch's body: its items' bodies in Base64; the instance takes up to 10 MB per item (docs/servicenow-behaviour.md §6.5). */
const BATCH_MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Several REST calls in one `POST /api/now/v1/batch`. Each item gets its own status: a 2xx item
 * resolves to its parsed body, any other to the same ConnectorError a single call would raise.
 * Items the instance did not reach in time come back in `unserviced` and must be sent again
 * (individually or in a later batch). The batch as a whole is repeated by the client only when
 * every item is idempotent.
 */
export async function batch(
  api: InstanceRequests,
  items: readonly BatchItem[],
  options: { signal?: AbortSignal; batchId?: string } = {},
): Promise<BatchOutcome> {
  if (items.length === 0) return { results: new Map(), unserviced: [] };
  const ids = new Set<string>();
  for (const item of items) {
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(item.id) || ids.has(item.id))
      throw badArgument(`batch item id ${JSON.stringify(item.id)} is not unique or not simple`);
    if (!item.url.startsWith('/api/')) throw badArgument(`batch item ${item.id}: url must be a relative /api/ path`);
    ids.add(item.id);
  }
  const idempotent = items.every((i) => itemIdempotent(api, i));
  const res = await api.request({
    method: 'POST',
    path: '/api/now/v1/batch',
    body: {
      batch_request_id: options.batchId ?? `snowline-${api.now()}`,
      rest_requests: items.map((item) => ({
        id: item.id,
        method: item.method,
        url: item.url,
        headers: [
          { name: 'Content-Type', value: item.file?.contentType ?? 'application/json' },
          { name: 'Accept', value: 'application/json' },
        ],
        ...batchBody(item),
        exclude_response_headers: true,
      })),
    },
    idempotent,
    signal: options.signal,
    maxBodyBytes: BATCH_MAX_BODY_BYTES,
  });
  const data = (res.data ?? {}) as { serviced_requests?: unknown; unserviced_requests?: unknown };
  if (!Array.isArray(data.serviced_requests)) throw unexpected('POST batch', res);
  const byId = new Map(items.map((i) => [i.id, i]));
  const results = new Map<string, BatchItemResult>();
  for (const raw of data.serviced_requests as Array<Record<string, unknown>>) {
    const id = String(raw.id ?? '');
    const item = byId.get(id);
    if (!item) continue;
    const status = Number(raw.status_code);
    let body: unknown;
    if (typeof raw.body === 'string' && raw.body) {
      const text = Buffer.from(raw.body, 'base64').toString('utf8');
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (status >= 200 && status < 300) results.set(id, { ok: true, status, body });
    else {
      const facts = { method: item.method, path: item.url.split('?')[0]!, idempotent: itemIdempotent(api, item) };
      const error = errorFromResponse(status, {}, body ?? raw.error_message, facts, api.now());
      results.set(id, { ok: false, status, error });
    }
  }
  const unserviced = Array.isArray(data.unserviced_requests) ? data.unserviced_requests.map(String) : [];
  // An item the answer does not mention at all was not serviced either.
  for (const id of ids) if (!results.has(id) && !unserviced.includes(id)) unserviced.push(id);
  return { results, unserviced };
}

function itemIdempotent(api: InstanceRequests, item: BatchItem): boolean {
  if (item.method === 'GET' || item.method === 'DELETE') return true;
  if (item.method === 'POST') return false;
  const fields = item.body && typeof item.body === 'object' ? Object.keys(item.body) : [];
  return !fields.some((f) => api.journalFields.has(f));
}

/** An item's body, Base64 as the Batch API carries it: the file's bytes, else the JSON. */
function batchBody(item: BatchItem): { body?: string } {
  if (item.file) return { body: Buffer.from(item.file.bytes).toString('base64') };
  return item.body === undefined ? {} : { body: Buffer.from(JSON.stringify(item.body), 'utf8').toString('base64') };
}
