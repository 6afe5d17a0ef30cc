import type { Express } from 'express';
import inject from 'light-my-request';
import type { IncomingMessage, ServerResponse } from 'node:http';
// light-my-request's own request and response classes: the prototypes its mock objects need.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MockRequest = require('light-my-request/lib/request') as { prototype: object };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MockResponse = require('light-my-request/lib/response') as { prototype: object };

/** One request served in-process. */
export interface InProcessRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  remoteAddress?: string;
}

/** What came back. */
export interface InProcessAnswer {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | number | undefined>;
  body: Buffer;
}

/** Express's request (or response) methods, over `base` rather than over Node's own classes. */
function expressMethodsOver(base: object, expressObject: object): object {
  const layers = [Object.getPrototypeOf(expressObject) as object, expressObject];
  return Object.create(base, Object.assign({}, ...layers.map((o) => Object.getOwnPropertyDescriptors(o))));
}

/**
 * Serves requests through `app`'s routes without any HTTP listener, so a request line of any length
 * is fine (the Batch API's items). light-my-request builds the mock request and response; they get
 * Express's methods through prototypes of their own, as `app.handle` gives real ones. (Handing the
 * app itself to light-my-request would re-parent Express's shared request prototype, which breaks
 * every real request of the process.)
 */
export function inProcess(app: Express): (request: InProcessRequest) => Promise<InProcessAnswer> {
  const requestProto = expressMethodsOver(MockRequest.prototype, app.request);
  const responseProto = expressMethodsOver(MockResponse.prototype, app.response);
  const dispatch = (req: IncomingMessage, res: ServerResponse) => {
    const expressReq = Object.setPrototypeOf(req, requestProto) as IncomingMessage & { res?: ServerResponse };
    const expressRes = Object.setPrototypeOf(res, responseProto) as ServerResponse & {
      req?: IncomingMessage;
      locals?: object;
    };
    expressReq.res = expressRes;
    expressRes.req = expressReq;
    expressRes.locals ??= Object.create(null);
    (
      app as unknown as { router: { handle: (q: unknown, s: unknown, done: (err?: unknown) => void) => void } }
    ).router.handle(expressReq, expressRes, (err) => {
      expressRes.statusCode = err ? 500 : 404;
      expressRes.end();
    });
  };
  return async ({ method, url, headers, body, remoteAddress }) => {
    const answer = await inject(dispatch, { method: method as 'GET', url, headers, payload: body, remoteAddress });
    return {
      status: answer.statusCode,
      statusText: answer.statusMessage,
      headers: answer.headers,
      body: answer.rawPayload,
    };
  };
}
