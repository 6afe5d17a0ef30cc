import type { Logger } from 'winston';
import { ConnectorError } from '../../src/errors';
import type { RequestLimiter } from '../failover-limiter';
import { localLimiter } from '../rate-limiters';
import {
  createHttpTransport,
  withRetries,
  type Attempt,
  type HttpTransport,
  type TransportClientDeps,
  type TransportRequest,
  type TransportResponse,
} from '../transport';
import { createAuth, type AuthProvider } from './auth';
import { CONNECTOR, errorFromNetwork, errorFromResponse, type RequestFacts } from './errors';
import { serviceNowConfigSchema, type ServiceNowConfig, type ServiceNowConfigInput, type SnRecord } from './schemas';

/** Injected collaborators; every one is optional. */
export interface ServiceNowClientDeps extends TransportClientDeps {
  /** Told of every HTTP attempt as it is sent: the API budget the instance's rate-limit rules count. */
  onRequestSent?: () => void;
}

/** One REST call to the instance, as the Table, Attachment, Import Set and Batch API modules describe it. */
export interface SnRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  params?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  idempotent: boolean;
  signal?: AbortSignal;
  /** Largest body sent; default the attachment limit (a batch carries several bodies, Base64). */
  maxBodyBytes?: number;
}

export type SnResponse = TransportResponse;

const RESERVED_HEADERS = new Set([
  'authorization',
  'x-sn-apikey',
  'cookie',
  'accept',
  'content-type',
  'content-length',
  'host',
]);

/**
 * Requests to one instance: authentication (re-authenticating once on a 401), the per-instance
 * limiter and the retries of the shared transport (connectors/transport).
 *
 * - Never keeps cookies: each request stands alone, so requests are not serialised into one
 *   session (https://docs.arc46.io/squid/usage/api-throughput).
 * - Every HTTP attempt goes through `limiter` (`maxConcurrent`, `requestsPerHour`).
 * - Idempotent requests (GET, DELETE, PATCH without journal fields) are retried on 429, 5xx and
 *   network errors with exponential backoff and jitter, honouring `Retry-After` /
 *   `X-RateLimit-Reset`. A non-idempotent request (POST, PATCH with `work_notes`/`comments`) is
 *   retried only when it certainly did not reach the instance (429, connection refused); when it
 *   may have, the error is `servicenow.ambiguous` and the caller must look before re-sending.
 */
export class InstanceRequests {
  /** The limiter every request goes through; the engine may pass a clustered one instead. */
  readonly limiter: RequestLimiter;
  readonly config: ServiceNowConfig;
  /** Fields whose every write appends a journal entry: a request carrying one is not idempotent. */
  readonly journalFields: Set<string>;
  readonly now: () => number;
  private readonly transport: HttpTransport<RequestFacts>;
  private readonly auth: AuthProvider;
  private readonly ownsLimiter: boolean;
  private readonly logger: Logger | undefined;
  private readonly sleep: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  private readonly random: () => number;

  constructor(config: ServiceNowConfigInput, deps: ServiceNowClientDeps = {}) {
    this.config = serviceNowConfigSchema.parse(config);
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.sleep = deps.sleep;
    this.journalFields = new Set(this.config.journalFields);
    // Extra headers may add context, never replace what the client itself decides.
    const extraHeaders = Object.fromEntries(
      Object.entries(this.config.extraHeaders).filter(([name]) => !RESERVED_HEADERS.has(name.toLowerCase())),
    );
    this.ownsLimiter = !deps.limiter;
    this.limiter =
      deps.limiter ??
      localLimiter({ maxConcurrent: this.config.maxConcurrent, requestsPerHour: this.config.requestsPerHour });
    this.transport = createHttpTransport({
      connector: CONNECTOR,
      baseUrl: this.config.url,
      timeoutMs: this.config.timeoutMs,
      limiter: this.limiter,
      headers: extraHeaders,
      agents: {},
      maxContentLength: 64 * 1024 * 1024,
      maxBodyLength: this.config.attachmentMaxBytes + 1024,
      onRequestSent: deps.onRequestSent,
      networkError: errorFromNetwork,
    });
    this.auth = createAuth(this.config.auth, this.transport.http, this.now);
  }

  /** Releases sockets and the limiter's timers (not a limiter passed in). */
  async close(): Promise<void> {
    this.transport.close();
    if (this.ownsLimiter) await this.limiter.disconnect(false);
  }

  /**
   * One request with its retries (see the class comment). A 401 is answered once by
   * re-authenticating, within the same attempt, when the auth can obtain new credentials.
   */
  request(req: SnRequest): Promise<SnResponse> {
    const facts: RequestFacts = { method: req.method, path: req.path, idempotent: req.idempotent };
    let reauthenticated = false;
    const attempt = async (): Promise<Attempt<SnResponse>> => {
      let authHeaders: Record<string, string>;
      try {
        authHeaders = await this.auth.headers(req.signal);
      } catch (err) {
        if (!(err instanceof ConnectorError)) throw err;
        // The token call failed; nothing of the request itself was sent, so it may be repeated.
        return { ok: false, error: err, safeToRepeat: true };
      }
      const outcome = await this.transport.attempt(this.outgoing(req, authHeaders), facts, req.idempotent, (res) =>
        errorFromResponse(res.status, res.headers, res.data, facts, this.now()),
      );
      if (!outcome.ok && outcome.error.details.status === 401 && this.auth.canReauthenticate && !reauthenticated) {
        reauthenticated = true;
        this.logger?.info('servicenow: 401, re-authenticating once', { method: req.method, path: req.path });
        await this.auth.reauthenticate(authHeaders, req.signal);
        return attempt();
      }
      return outcome;
    };
    return withRetries(attempt, this.config.retry, {
      sleep: this.sleep,
      random: this.random,
      signal: req.signal,
      onRetry: (error, n, waitMs) =>
        this.logger?.debug('servicenow: retrying', {
          code: error.code,
          method: req.method,
          path: req.path,
          attempt: n,
          waitMs,
        }),
    });
  }

  private outgoing(req: SnRequest, authHeaders: Record<string, string>): TransportRequest {
    const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders };
    if (req.body !== undefined) headers['Content-Type'] = req.contentType ?? 'application/json';
    const params = Object.fromEntries(
      Object.entries(req.params ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const query = new URLSearchParams(params).toString();
    return {
      method: req.method,
      url: query ? `${req.path}?${query}` : req.path,
      headers,
      data: req.body,
      signal: req.signal,
      maxBodyLength: req.maxBodyBytes,
    };
  }
}

/**
 * A 2xx answer without the expected `result` (a hibernating developer instance answers 200 with an
 * HTML page). A read is worth repeating; a write may have happened.
 */
export function unexpected(what: string, res: SnResponse): ConnectorError {
  const write = !what.startsWith('GET');
  return new ConnectorError(
    CONNECTOR,
    write ? 'ambiguous' : 'transient',
    write ? 'ambiguous' : 'unavailable',
    `ServiceNow answered ${what} with HTTP ${res.status} but no result (not a REST API response?)`,
    { details: { status: res.status } },
  );
}

export function resultObject(res: SnResponse, what: string): SnRecord {
  const result = (res.data as { result?: unknown } | undefined)?.result;
  if (!result || typeof result !== 'object' || Array.isArray(result)) throw unexpected(what, res);
  return result as SnRecord;
}
