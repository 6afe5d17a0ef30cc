import { ConnectorError } from '../../src/errors';
import type { EndpointLimiter } from '../endpoint-limits';
import { createHttpTransport, retryAfterMs, type HttpTransport } from '../transport';
import { applyAuth, tokenCacheFor, type OutgoingRequest, type TokenCache } from './auth';
import { CONNECTOR, errorFromNetwork, errorFromStatus, type RequestFacts } from './errors';
import { traceHeaders } from '../../src/observability/tracing';
import type { EndpointConfig, Method } from './schemas';

export interface EndpointRequest {
  method: Method;
  /** Path below the base URL, starting with `/`. */
  path: string;
  query?: Record<string, string | number | boolean>;
  headers?: Record<string, string>;
  /** Sent as is; set the Content-Type header to match. */
  body?: string;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface EndpointResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON bodies parsed; anything else as text. */
  body: unknown;
}

const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'PUT', 'DELETE', 'HEAD', 'OPTIONS']);

/**
 * One configured HTTP endpoint: builds the URL under its base, adds its headers, idempotency key
 * and auth (SigV4 signs the final bytes), sends once, and returns any status. Network failures
 * become classified `ConnectorError`s; statuses are judged by the caller.
 */
export class EndpointClient {
  private readonly transport: HttpTransport<RequestFacts>;
  private readonly tokens: TokenCache | undefined;

  constructor(
    readonly name: string,
    readonly config: EndpointConfig,
    private readonly now: () => number = Date.now,
    /** The limits of the endpoint's host; none = unlimited. */
    private readonly limiter?: EndpointLimiter,
  ) {
    this.transport = createHttpTransport({
      connector: CONNECTOR,
      timeoutMs: config.timeoutMs,
      limiter,
      responseType: 'text',
      maxContentLength: config.maxResponseBytes,
      networkError: errorFromNetwork,
    });
    this.tokens = tokenCacheFor(config.auth, config.timeoutMs, now);
  }

  urlFor(path: string, query?: Record<string, string | number | boolean>): string {
    const base = this.config.baseUrl.replace(/\/+$/, '');
    const url = new URL(base + path);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.append(k, String(v));
    return url.toString();
  }

  /** Whether repeating this request is safe: an idempotent method, or a key the server deduplicates by. */
  retrySafe(request: Pick<EndpointRequest, 'method' | 'idempotencyKey'>): boolean {
    return (
      IDEMPOTENT.has(request.method) || (request.idempotencyKey !== undefined && this.config.idempotencyHeader !== null)
    );
  }

  async send(request: EndpointRequest): Promise<EndpointResponse> {
    const outgoing: OutgoingRequest = {
      method: request.method,
      url: this.urlFor(request.path, request.query),
      // SigV4 signs every header, so the trace headers go in before signing (the transport adds the same ones).
      headers: { Accept: 'application/json', ...traceHeaders(), ...this.config.headers, ...(request.headers ?? {}) },
      body: request.body ?? '',
    };
    if (request.idempotencyKey !== undefined && this.config.idempotencyHeader)
      outgoing.headers[this.config.idempotencyHeader] = request.idempotencyKey;
    const facts: RequestFacts = {
      method: request.method,
      url: outgoing.url.split('?')[0]!,
      retrySafe: this.retrySafe(request),
    };
    await applyAuth(this.config.auth, outgoing, { tokens: this.tokens, now: this.now, signal: request.signal });
    // The limiter's own refusal (HourlyLimitError) comes through as it is: nothing was sent.
    const res = await this.transport.send(
      {
        method: outgoing.method,
        url: outgoing.url,
        headers: outgoing.headers,
        data: request.body === undefined ? undefined : outgoing.body,
        signal: request.signal,
      },
      facts,
    );
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
    const body = parseBody(res.data, headers['content-type']);
    if (res.status === 401 && this.tokens) {
      this.tokens.invalidate();
      throw new ConnectorError(
        CONNECTOR,
        'transient',
        'token_rejected',
        `${facts.method} ${facts.url} refused the OAuth2 token (401); a new one is fetched on retry`,
        { details: { status: 401 } },
      );
    }
    return { status: res.status, headers, body };
  }

  /** `send`, then any status outside `success` (default 2xx) becomes a classified error. */
  async sendExpecting(request: EndpointRequest, success?: readonly number[]): Promise<EndpointResponse> {
    const res = await this.send(request);
    const ok = success ? success.includes(res.status) : res.status >= 200 && res.status < 300;
    if (ok) return res;
    const facts: RequestFacts = {
      method: request.method,
      url: this.urlFor(request.path),
      retrySafe: this.retrySafe(request),
    };
    throw errorFromStatus(res.status, res.body, facts, retryAfterMs(res.headers['retry-after'], this.now()));
  }
}

function parseBody(data: unknown, contentType: string | undefined): unknown {
  if (typeof data !== 'string') return data;
  if (data === '') return undefined;
  if (contentType && /json/i.test(contentType)) {
    try {
      return JSON.parse(data);
    } catch {
      return data;
    }
  }
  return data;
}
