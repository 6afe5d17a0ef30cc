import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import type { Logger } from 'winston';
import { ConnectorError, HourlyLimitError } from '../../src/errors';
import { traceHeaders } from '../../src/observability/tracing';
import type { RequestLimiter } from '../failover-limiter';
import { LimiterFailure, limiterUnavailable, throughLimiter } from './limiter-gate';
import { failedAttempt, type Attempt } from './retries';

/** What a client of the transport may be given instead of building it: a fleet-wide limiter, and for tests the clock and waits. */
export interface TransportClientDeps {
  /** Shared limiter (e.g. Redis-clustered); by default the client builds one from its config. */
  limiter?: RequestLimiter;
  logger?: Logger;
  /** For tests: how the client waits between attempts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** One HTTP request as a connector's client builds it. */
export interface TransportRequest {
  method: string;
  /** Below `baseUrl` (or absolute without one), with its query string. */
  url: string;
  headers?: Record<string, string>;
  data?: unknown;
  /** Default: the transport's. */
  responseType?: 'json' | 'text' | 'stream';
  /** Largest body sent; default the transport's. */
  maxBodyLength?: number;
  signal?: AbortSignal;
}

/** An answer, whatever its status: the client decides what counts as success. */
export interface TransportResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, unknown>;
  data: unknown;
}

export interface HttpTransportOptions<F extends object> {
  /** The connector's name, the prefix of the codes of the errors raised here. */
  connector: string;
  baseUrl?: string;
  /** Per attempt; a timeout is a network failure (`ETIMEDOUT`), sent or not as the connector's codes say. */
  timeoutMs: number;
  /** Every attempt waits its turn here; a spent hourly budget (HourlyLimitError) is thrown as it is. */
  limiter?: Pick<RequestLimiter, 'schedule'>;
  /** Sent on every request, under the trace headers and the request's own. */
  headers?: Record<string, string>;
  /** Keep-alive sockets of the transport's own (released by `close`), with the TLS trust to apply; default Node's shared agents. */
  agents?: { ca?: string; rejectUnauthorized?: boolean };
  responseType?: 'json' | 'text';
  maxContentLength?: number;
  maxBodyLength?: number;
  /** Told of every attempt as it is handed to the network (the API budget a backend counts). */
  onRequestSent?: () => void;
  /** The connector's wording of a request that got no answer (refused, timed out, broke off). */
  networkError(error: unknown, facts: F): ConnectorError;
}

/**
 * The one HTTP transport of the connectors: axios with a timeout, no redirects (a redirect from an
 * API is a misconfiguration such as an SSO login page, never data), every status handed back, the
 * W3C trace headers of the current span, and the connector's limiter around each attempt. Failures
 * to get an answer are raised as the connector's classified ConnectorErrors.
 */
export interface HttpTransport<F extends object> {
  /** One attempt: any answer is returned; a failure to get one is raised classified by `facts`. */
  send(request: TransportRequest, facts: F): Promise<TransportResponse>;
  /**
   * One attempt judged, for a client that retries (`withRetries`): a 2xx answer, or the failure
   * (`responseError` words any other status) and whether the client may send the request again.
   */
  attempt(
    request: TransportRequest,
    facts: F,
    idempotent: boolean,
    responseError: (response: TransportResponse) => ConnectorError | Promise<ConnectorError>,
  ): Promise<Attempt<TransportResponse>>;
  /** The axios instance, for calls that bypass the limiter (an OAuth token endpoint). */
  readonly http: AxiosInstance;
  /** Releases the transport's own sockets. */
  close(): void;
}

export function createHttpTransport<F extends object>(options: HttpTransportOptions<F>): HttpTransport<F> {
  const agents = options.agents && {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true, ...options.agents }),
  };
  const client = axios.create({
    baseURL: options.baseUrl?.replace(/\/+$/, ''),
    timeout: options.timeoutMs,
    httpAgent: agents?.http,
    httpsAgent: agents?.https,
    maxRedirects: 0,
    validateStatus: () => true,
    responseType: options.responseType ?? 'json',
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
    ...(options.maxContentLength === undefined ? {} : { maxContentLength: options.maxContentLength }),
    ...(options.maxBodyLength === undefined ? {} : { maxBodyLength: options.maxBodyLength }),
  });

  async function exchange(request: TransportRequest, headers: Record<string, string>): Promise<TransportResponse> {
    options.onRequestSent?.();
    const res = await client.request({
      method: request.method,
      url: request.url,
      headers,
      data: request.data,
      signal: request.signal,
      ...(request.responseType ? { responseType: request.responseType } : {}),
      ...(request.maxBodyLength === undefined ? {} : { maxBodyLength: request.maxBodyLength }),
    });
    return { status: res.status, headers: res.headers as Record<string, unknown>, data: res.data };
  }

  async function send(request: TransportRequest, facts: F): Promise<TransportResponse> {
    // Read here: the limiter may run the call outside this request's async context.
    const headers = { ...options.headers, ...traceHeaders(), ...request.headers };
    const limiter = options.limiter;
    try {
      return await (limiter ? throughLimiter(limiter, () => exchange(request, headers)) : exchange(request, headers));
    } catch (err) {
      if (err instanceof LimiterFailure) {
        // Snowline's own budget is spent: the engine waits for its next slot rather than retrying.
        if (err.reason instanceof HourlyLimitError) throw err.reason;
        throw limiterUnavailable(options.connector, err, { ...(facts as Record<string, unknown>) });
      }
      throw options.networkError(err, facts);
    }
  }

  return {
    http: client,
    send,
    async attempt(request, facts, idempotent, responseError) {
      let res: TransportResponse;
      try {
        res = await send(request, facts);
      } catch (err) {
        if (!(err instanceof ConnectorError)) throw err;
        return failedAttempt(err, idempotent);
      }
      if (res.status >= 200 && res.status < 300) return { ok: true, value: res };
      return failedAttempt(await responseError(res), idempotent);
    },
    close() {
      agents?.http.destroy();
      agents?.https.destroy();
    },
  };
}
