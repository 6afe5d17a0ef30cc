import cors from 'cors';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Identity, TokenVerifier } from '../security/jwt';
import type { Permission } from '../security/roles';
import { apiDocsRouter } from './api-docs.router';
import { authenticate } from './auth.middleware';
import { consoleRouter, type ConsoleOptions } from './console.router';
import { errorHandler, sendError, sendFailure } from '../errors/http-error';
import { SERVICENOW_WEBHOOK_PATH, type WebhookReceiver } from '../ingest/webhook.receiver';
import { liveRouter, type LiveOptions } from './live.router';
import { createRateLimits, type RateLimits } from './rate-limits';
import { mountRoutes, openApiDocument, type RouteDefinition } from './route';

export interface HttpAppDeps {
  logger: Logger;
  metrics: Metrics;
  verifier: TokenVerifier;
  bodyLimitBytes: number;
  /** Origins allowed to call the API from a browser; empty = CORS closed. */
  corsOrigins: readonly string[];
  /** API requests one identity (JWT `sub`) may make per minute (used when `rateLimits` is not given). */
  rateLimitPerMinute: number;
  /** The limits, built by the caller (shared through Redis); default: in memory, 120 refusals a minute per address. */
  rateLimits?: RateLimits;
  routes: RouteDefinition[];
  /** Told of each permission an identity uses (throttled by the receiver), for the access review. */
  recordIdentityUse?: (identity: Identity, permission: Permission) => void;
  /** Takes ServiceNow's deliveries (POST /webhooks/servicenow), ahead of Express; absent = not served. */
  serviceNowWebhook?: WebhookReceiver;
  /** Further webhook receivers (Alertmanager's), each mounting its own /webhooks/… path. */
  webhooks?: Router[];
  /** Store and ServiceNow reachable, with details for operators. */
  readiness(): Promise<{ ready: boolean; checks: Record<string, unknown> }>;
  version: string;
  /** The operations console at /console; absent = not served. */
  console?: ConsoleOptions;
  /** Server-Sent Events of what changed (GET /api/v1/live); absent = not served, the console polls. */
  live?: LiveOptions;
}

export const API_BASE = '/api/v1';

/**
 * Everything the console and the API docs load comes from this server: no inline script, no inline
 * style sheet, no third-party origin, no framing. Not `upgrade-insecure-requests`: a deployment
 * behind a TLS-terminating proxy, or on loopback, serves plain HTTP.
 */
const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** The middleware's HTTP surface: health, metrics, the webhooks, and the authenticated API. */
export function createHttpApp(deps: HttpAppDeps): RequestListener {
  const app = express();
  const limits =
    deps.rateLimits ??
    createRateLimits(
      { perIdentityPerMinute: deps.rateLimitPerMinute, refusedPerAddressPerMinute: 120, webhookPerAddressPerMinute: 0 },
      deps.logger,
    );
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // Before the security headers, which guard what a browser renders: a webhook's JSON answer goes
  // to its sender.
  app.use('/webhooks', limits.webhook);
  for (const router of deps.webhooks ?? []) app.use(router);
  app.use(helmet({ contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY } }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res, next) => {
    try {
      const { ready, checks } = await deps.readiness();
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
    } catch (err) {
      next(err);
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  const openApi = openApiDocument(deps.routes, API_BASE, deps.version);
  app.get(`${API_BASE}/openapi.json`, (_req, res) => {
    res.json(openApi);
  });
  app.use(apiDocsRouter(API_BASE));
  if (deps.console) app.use(consoleRouter(deps.console));
  // Before the bearer authentication below: a stream is opened with a ticket (EventSource sends no headers).
  if (deps.live) app.use(`${API_BASE}/live`, limits.unauthenticated, liveRouter(deps.live));
  app.use(
    API_BASE,
    cors({
      origin: [...deps.corsOrigins],
      methods: ['GET', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type'],
    }),
    limits.unauthenticated,
    express.json({ limit: deps.bodyLimitBytes }),
    authenticate(deps.verifier),
    limits.perIdentity,
    mountRoutes(deps.routes, deps.recordIdentityUse),
  );
  app.use((req, res) => sendError(res, 404, 'route.not_found', `no route ${req.method} ${req.path}`));
  app.use(errorHandler(deps.logger));
  const receiver = deps.serviceNowWebhook;
  if (!receiver) return app;
  // ServiceNow's deliveries, the one route under load, skip Express: past their address's limits
  // straight to the receiver, which reads Node's request as it is.
  const receive = (req: IncomingMessage, res: ServerResponse) =>
    limits.webhook(req, res, (err) =>
      err
        ? sendFailure(res, err, deps.logger, { method: req.method, path: SERVICENOW_WEBHOOK_PATH })
        : receiver(req, res),
    );
  return (req, res) => (isServiceNowDelivery(req) ? receive(req, res) : app(req, res));
}

/** As Express would route it: any case, one trailing slash, any query string. */
function isServiceNowDelivery(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || !req.url) return false;
  const path = req.url.split('?', 1)[0]!.toLowerCase();
  return path === SERVICENOW_WEBHOOK_PATH || path === `${SERVICENOW_WEBHOOK_PATH}/`;
}
