import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A plain HTTP stub for connector tests: routes answer with canned responses (usually fixture
 * files), every request is recorded with its exact method, path, query, headers and body.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Decoded query parameters (last value wins). */
  query: Record<string, string>;
  /** The raw query string as sent. */
  rawQuery: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
  /** The body parsed as a form, when it is form-encoded. */
  form: Record<string, string> | undefined;
  /** When the request arrived (Date.now()). */
  receivedAt: number;
}

export interface StubResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and buffers as they are. */
  body?: unknown;
  /** Destroy the socket instead of answering (after reading the request). */
  hangUp?: boolean;
}

export type StubHandler = (req: RecordedRequest) => StubResponse | Promise<StubResponse>;

interface Route {
  method: string;
  path: string | RegExp;
  handler: StubHandler;
}

export interface Stub {
  url: string;
  requests: RecordedRequest[];
  /** Adds a route; later routes for the same request take precedence. */
  on(method: string, path: string | RegExp, answer: StubHandler | StubResponse | (StubResponse | StubHandler)[]): void;
  /** Requests to one path (and method). */
  calls(method: string, path: string | RegExp): RecordedRequest[];
  close(): Promise<void>;
}

/** A handler answering with each response in turn, then repeating the last. */
function sequence(responses: (StubResponse | StubHandler)[]): StubHandler {
  let i = 0;
  return (req) => {
    const next = responses[Math.min(i++, responses.length - 1)]!;
    return typeof next === 'function' ? next(req) : next;
  };
}

export async function startStub(): Promise<Stub> {
  const routes: Route[] = [];
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const receivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://stub');
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        const type = String(req.headers['content-type'] ?? '');
        let json: unknown;
        if (type.includes('json') && text) {
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
        }
        const form = type.includes('x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(text)) : undefined;
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          rawQuery: url.search.replace(/^\?/, ''),
          headers: req.headers,
          body,
          json,
          form,
          receivedAt,
        };
        requests.push(recorded);
        const route = [...routes]
          .reverse()
          .find(
            (r) =>
              r.method === recorded.method &&
              (typeof r.path === 'string' ? r.path === recorded.path : r.path.test(recorded.path)),
          );
        const answer: StubResponse = route
          ? await route.handler(recorded)
          : {
              status: 599,
              body: {
                error: { message: 'stub: no route', detail: `${recorded.method} ${recorded.path}` },
                status: 'failure',
              },
            };
        if (answer.hangUp) {
          req.socket.destroy();
          return;
        }
        const headers: Record<string, string> = { ...(answer.headers ?? {}) };
        let payload: string | Buffer = '';
        if (Buffer.isBuffer(answer.body) || typeof answer.body === 'string') payload = answer.body;
        else if (answer.body !== undefined) {
          payload = JSON.stringify(answer.body);
          headers['Content-Type'] ??= 'application/json;charset=UTF-8';
        }
        res.writeHead(answer.status ?? 200, headers);
        res.end(payload);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on(method, p, answer) {
      const handler: StubHandler =
        typeof answer === 'function' ? answer : Array.isArray(answer) ? sequence(answer) : () => answer;
      routes.push({ method, path: p, handler });
    },
    calls: (method, p) =>
      requests.filter((r) => r.method === method && (typeof p === 'string' ? r.path === p : p.test(r.path))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const FIXTURES = path.resolve(__dirname, '../../fixtures');

/** A JSON fixture from test/fixtures/<dir>/<name>.json. */
export function fixture<T = any>(dir: 'servicenow' | 'awx', name: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURES, dir, `${name}.json`), 'utf8')) as T;
}

/** A text fixture from test/fixtures/<dir>/<file>. */
export function textFixture(dir: 'servicenow' | 'awx', file: string): string {
  return readFileSync(path.join(FIXTURES, dir, file), 'utf8');
}
