import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Logger } from 'winston';
import { ConfigError, ConnectorError } from '../../src/errors';
import type { RequestLimiter } from '../failover-limiter';
import { localLimiter } from '../rate-limiters';
import {
  createHttpTransport,
  withRetries,
  type HttpTransport,
  type TransportClientDeps,
  type TransportRequest,
  type TransportResponse,
} from '../transport';
import { CONNECTOR, errorFromNetwork, errorFromResponse, type RequestFacts } from './errors';
import { controllerConfigSchema, type ControllerConfig, type ControllerConfigInput } from './schemas';

export type ControllerClientDeps = TransportClientDeps;

export interface CtlRequest {
  method: 'GET' | 'POST';
  /** Relative to the API prefix, e.g. `jobs/12/`. */
  path: string;
  params?: Record<string, string>;
  body?: unknown;
  idempotent: boolean;
  responseType?: 'json' | 'text' | 'stream';
  signal?: AbortSignal;
  /** A JSON GET whose answer may serve the same GET again for this long (what rarely changes: a template). */
  reuseForMs?: number;
}

export type CtlResponse = TransportResponse;

/**
 * Requests to one controller under its API prefix, authenticated by token or basic auth, through
 * its limiter and the shared transport (connectors/transport). GETs (and other idempotent
 * requests) are retried on 429, 5xx and network errors; a launch is never repeated once it may
 * have been sent.
 */
export class ControllerRequests {
  readonly config: ControllerConfig;
  readonly limiter: RequestLimiter;
  readonly logger: Logger | undefined;
  private readonly transport: HttpTransport<RequestFacts>;
  private readonly ownsLimiter: boolean;
  private readonly sleep: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly prefix: string;
  /** JSON GETs under way, by path and query: a second caller waits for the same answer. */
  private readonly readsInFlight = new Map<string, Promise<CtlResponse>>();
  /** Answers of GETs asked with `reuseForMs`, by path and query, with when they go stale. */
  private readonly recentReads = new Map<string, { answer: CtlResponse; staleAt: number }>();

  constructor(config: ControllerConfigInput, deps: ControllerClientDeps = {}) {
    this.config = controllerConfigSchema.parse(config);
    this.logger = deps.logger;
    this.sleep = deps.sleep;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.ownsLimiter = !deps.limiter;
    this.limiter = deps.limiter ?? localLimiter({ maxConcurrent: this.config.maxConcurrent });
    this.prefix = this.config.apiPath;
    const auth: Record<string, string> = {};
    if (this.config.token) auth.Authorization = `Bearer ${this.config.token}`;
    else if (this.config.username && this.config.password) {
      auth.Authorization = `Basic ${Buffer.from(`${this.config.username}:${this.config.password}`, 'utf8').toString('base64')}`;
    }
    this.transport = createHttpTransport({
      connector: CONNECTOR,
      baseUrl: this.config.url,
      timeoutMs: this.config.timeoutMs,
      limiter: this.limiter,
      headers: { Accept: 'application/json', ...auth },
      agents: { ca: loadCa(this.config.caFile), rejectUnauthorized: this.config.verifyTls },
      networkError: errorFromNetwork,
    });
  }

  async close(): Promise<void> {
    this.transport.close();
    if (this.ownsLimiter) await this.limiter.disconnect(false);
  }

  /**
   * One request; GETs (and other idempotent ones) are retried on 429, 5xx and network errors. A JSON
   * GET asked for while the same one is in flight shares its answer: launches of one template in
   * a burst read the template and its prompts once, not once each. (Callers parse the answer into
   * objects of their own; none changes the shared body.)
   */
  request(req: CtlRequest): Promise<CtlResponse> {
    if (req.method !== 'GET' || (req.responseType ?? 'json') !== 'json') return this.send(req);
    const key = `${req.path}?${new URLSearchParams(req.params).toString()}`;
    const recent = this.recentReads.get(key);
    if (recent && recent.staleAt > this.now()) return Promise.resolve(recent.answer);
    let shared = this.readsInFlight.get(key);
    if (!shared) {
      // Sent without any one caller's signal: a caller that gives up must not cancel the others' read.
      shared = this.send({ ...req, signal: undefined })
        .then((answer) => this.remember(key, answer, req.reuseForMs ?? 0))
        .finally(() => this.readsInFlight.delete(key));
      this.readsInFlight.set(key, shared);
    }
    return req.signal ? untilAborted(shared, req.signal, `GET ${this.prefix}${req.path}`) : shared;
  }

  private remember(key: string, answer: CtlResponse, forMs: number): CtlResponse {
    this.recentReads.delete(key);
    if (forMs <= 0) return answer;
    if (this.recentReads.size >= RECENT_READS_KEPT) this.recentReads.delete(this.recentReads.keys().next().value!);
    this.recentReads.set(key, { answer, staleAt: this.now() + forMs });
    return answer;
  }

  private send(req: CtlRequest): Promise<CtlResponse> {
    const path = `${this.prefix}${req.path}`;
    const facts: RequestFacts = { method: req.method, path, idempotent: req.idempotent };
    const query = req.params ? new URLSearchParams(req.params).toString() : '';
    const outgoing: TransportRequest = {
      method: req.method,
      url: `${path}${query ? `?${query}` : ''}`,
      data: req.body,
      headers: req.body !== undefined ? { 'Content-Type': 'application/json' } : {},
      responseType: req.responseType ?? 'json',
      signal: req.signal,
    };
    const attempt = () =>
      this.transport.attempt(outgoing, facts, req.idempotent, async (res) => {
        const body = req.responseType === 'stream' ? await drain(res.data as Readable) : res.data;
        return errorFromResponse(res.status, res.headers, body, facts, this.now());
      });
    const { retry } = this.config;
    return withRetries(
      attempt,
      { ...retry, maxWaitMs: retry.maxDelayMs * 4 },
      {
        sleep: this.sleep,
        random: this.random,
        signal: req.signal,
        onRetry: (error, n, waitMs) =>
          this.logger?.debug('ansible: retrying', { code: error.code, method: req.method, path, attempt: n, waitMs }),
      },
    );
  }
}

/** Reusable answers kept at most (a few per template launched); the oldest goes first. */
const RECENT_READS_KEPT = 256;

/** `shared`, unless `signal` aborts first: then this caller's wait fails as its own aborted request would. */
function untilAborted<T>(shared: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  const aborted = () =>
    new ConnectorError(CONNECTOR, 'transient', 'unavailable', `${what} was abandoned: the caller was cancelled`);
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function id(value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new ConnectorError(CONNECTOR, 'permanent', 'bad_request', `${value} is not a controller object id`);
  return value;
}

export function parse<T>(
  schema: { safeParse(data: unknown): { success: true; data: T } | { success: false; error: { message: string } } },
  data: unknown,
  what: string,
): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new ConnectorError(
    CONNECTOR,
    'transient',
    'unavailable',
    `the controller's ${what} answer has an unexpected shape (is apiPath right?)`,
    { details: { problem: parsed.error.message.slice(0, 500) } },
  );
}

/** The CA to trust: PEM text given directly (a resolved `file:` reference), or read from a path. */
function loadCa(caFile: string | undefined): string | undefined {
  if (!caFile) return undefined;
  if (caFile.includes('-----BEGIN')) return caFile;
  try {
    return readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new ConfigError([
      `ansible.caFile: ${caFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
}

async function drain(stream: Readable | undefined): Promise<string> {
  if (!stream || typeof (stream as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function')
    return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    if (size < 64 * 1024) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    size += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks).toString('utf8');
}
