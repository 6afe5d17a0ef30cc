import express, { type Express } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'winston';
import { listenOn } from '../src/api/listen';
import { silentLogger } from '../src/observability/logger';
import { AwxController } from './awx/controller';
import { awxRouter } from './awx/http/awx.router';
import { publicBaseUrl } from './http/base-url';
import { inProcess } from './http/in-process';
import { queuedRequests } from './http/queued-requests';
import { answerOverlongRequests } from './http/overlong-request';
import { applyLatency, LatencyProfile, type LatencyProfileInput } from './http/latency';
import { RequestCounter } from './http/request-counter';
import { AttachmentService } from './servicenow/attachments';
import { ImportSetService } from './servicenow/import-sets';
import { ChangeApprovalRules } from './servicenow/rules/change-approvals';
import { WebhookBusinessRule } from './servicenow/business-rule';
import { servicenowRouter } from './servicenow/http/servicenow.router';
import { TableService } from './servicenow/table-service';
import { openSandboxState } from './sandbox-state';
import { adminRouter } from './admin/admin.router';
import { FAULT_TARGETS, FaultInjector, type FaultPlanInput, type FaultTarget } from './faults/fault-injector';
import { injectFaults } from './faults/fault.middleware';
import { OAuthIssuer, type OAuthClient } from './servicenow/auth/oauth-issuer';
import { oauthRouter } from './servicenow/http/oauth.router';
import { RateLimitRules, rateLimitRulesSchema, type RateLimitRuleInput } from './servicenow/rate-limit-rules';

/** How a sandbox is set up (see docs/sandbox.md for the environment behind each). */
export interface SandboxOptions {
  /** The one account, for the Table API (basic auth) and the controller (basic auth). */
  user: string;
  password: string;
  /** Bearer token the controller accepts besides basic auth. */
  awxToken: string;
  /** Where the Business Rule emulation posts events; none are posted without it. */
  webhookUrl?: string;
  /** HMAC key of the posted events (`X-Snowline-Signature`). */
  webhookSecret: string;
  webhooksEnabled: boolean;
  /** How long a controller job runs from launch to its end, in ms. */
  jobDurationMs: number;
  /**
   * The sandbox's own SQLite store, which keeps the instance's records and the controller's jobs
   * across restarts (`snowline serve` defaults it to `<store>.sandbox.db` next to Snowline's store);
   * `:memory:` or unset keeps them in memory only.
   */
  store?: string;
  /** docs/servicenow-behaviour.md §3.2 incident resolution data policy (default on). */
  dataPolicy?: boolean;
  logger?: Logger;
  /**
   * The instance's public address, the start of reference links, `Link` and `Location` URLs (env
   * SNOWLINE_SANDBOX_PUBLIC_URL), for a sandbox behind a TLS front. Unset: the `X-Forwarded-Proto`
   * and `X-Forwarded-Host` of the request when a proxy sends them, else `http://127.0.0.1:<port>`.
   */
  baseUrl?: string;
  /** Realistic answer times per API (see latency.ts); none by default. */
  latency?: LatencyProfileInput;
  /** docs/servicenow-behaviour.md §5.2 OAuth application registry; default client `snowline-sandbox` / secret `sandbox`, tokens of 1800 s. */
  oauth?: Partial<OAuthClient>;
  /** docs/servicenow-behaviour.md §5.3 API key accepted in `x-sn-apikey`; default `sandbox-api-key`. */
  apiKey?: string;
  /** docs/servicenow-behaviour.md §5.4 REST rate-limit rules in force from the start (none by default; see PUT /sandbox/rate-limits). */
  rateLimitRules?: RateLimitRuleInput[];
  /** Fault plans in force from the start (see PUT /sandbox/faults/{target}). */
  faults?: Partial<Record<FaultTarget, FaultPlanInput>>;
  /**
   * The instance's clock: system fields (`sys_updated_on`…) and relative dates in queries
   * (`javascript:gs.daysAgoStart(7)`, RELATIVEGT…) read it. Default: the real time. Tests move it
   * to age records ("on hold for a week") that the Table API gives no way to backdate.
   */
  now?: () => Date;
  /** docs/servicenow-behaviour.md §6.5: the quota that cuts a long batch, in ms (default 30 s). */
  batchTimeLimitMs?: number;
}

/** Defaults of the sandbox's OAuth registry and API key (README "Sandbox authentication"). */
export const SANDBOX_OAUTH_DEFAULTS: OAuthClient = {
  clientId: 'snowline-sandbox',
  clientSecret: 'sandbox',
  accessTokenSeconds: 1800,
  refreshTokenSeconds: 8_640_000,
};
export const SANDBOX_API_KEY = 'sandbox-api-key';

/** A simulated ServiceNow instance (`/api/now/`) and AWX controller (`/api/v2/`, `/api/controller/v2/`) on one server. */
export interface Sandbox {
  app: Express;
  listen(port: number, host?: string): Promise<{ port: number; url: string }>;
  /** Back to the seeded instance with no jobs; numbers and job ids are never handed out twice. */
  reset(): void;
  /** Stops serving, timers and webhook deliveries, and closes the store. */
  close(): Promise<void>;
}

/** Builds the sandbox: its state (loaded from its store, else seeded), its business rule, its routes. */
export function createSandbox(options: SandboxOptions): Sandbox {
  const logger = options.logger ?? silentLogger();
  const state = openSandboxState(options.store, options.user);
  const { store } = state;
  const controller = new AwxController({ jobDurationMs: options.jobDurationMs, onChange: state.controllerChanged });
  state.attach(controller);

  const businessRule = new WebhookBusinessRule({
    webhookUrl: options.webhookUrl,
    webhookSecret: options.webhookSecret,
    enabled: options.webhooksEnabled,
    logger,
  });
  const changeApprovals = new ChangeApprovalRules(store, () => service);
  const service: TableService = new TableService({
    store,
    dataPolicy: options.dataPolicy ?? true,
    now: options.now,
    onWrite: (write) => {
      businessRule.onWrite(write);
      changeApprovals.onWrite(write);
    },
  });
  const attachments = new AttachmentService(store, service);
  let listeningUrl: string | undefined;
  const baseUrl = publicBaseUrl(options.baseUrl, () => listeningUrl);
  const account = { user: options.user, password: options.password };
  // Settings left unset keep their defaults.
  const oauthSettings = Object.fromEntries(Object.entries(options.oauth ?? {}).filter(([, v]) => v !== undefined));
  const oauth = new OAuthIssuer({ ...SANDBOX_OAUTH_DEFAULTS, ...oauthSettings }, account);
  const rateLimits = new RateLimitRules();
  rateLimits.replace(rateLimitRulesSchema.parse(options.rateLimitRules ?? []));
  const faults = new FaultInjector();
  for (const target of FAULT_TARGETS) {
    const plan = options.faults?.[target];
    if (plan) faults.set(target, plan);
  }
  const credentials = {
    account,
    bearerUser: (token: string) => oauth.userOf(token),
    apiKey: options.apiKey ?? SANDBOX_API_KEY,
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const latency = new LatencyProfile(options.latency);
  const requests = new RequestCounter();
  app.use('/sandbox', adminRouter({ account, faults, rateLimits, oauth, latency, requests, reset: state.reset }));
  const queue = queuedRequests(() => serveInProcess);
  app.use(applyLatency(latency, queue));
  app.use(['/api/now', '/oauth_token.do'], injectFaults(faults, 'servicenow', queue));
  app.use(oauthRouter(oauth));
  app.use(
    '/api/now',
    servicenowRouter(
      {
        service,
        attachments,
        store,
        baseUrl,
        now: options.now ?? (() => new Date()),
        dispatch: () => serveInProcess,
        batch: { timeLimitMs: options.batchTimeLimitMs, onItem: () => requests.batchItem() },
      },
      new ImportSetService(store, service),
      credentials,
      rateLimits,
      logger,
    ),
  );
  // AWX and AAP ≤ 2.4 serve the controller at /api/v2/; AAP 2.5+ through its gateway at /api/controller/v2/ (https://docs.redhat.com/en/documentation/red_hat_ansible_automation_platform/2.6/html/planning_your_upgrade/upgrade-api-changes).
  const controllerApi = awxRouter({ controller, account, token: options.awxToken, baseUrl, now: Date.now, logger });
  app.use(['/api/v2', '/api/controller/v2'], injectFaults(faults, 'awx', queue), controllerApi);

  const serveInProcess = inProcess(app);
  let server: Server | undefined;
  return {
    app,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        listenOn(app, port, host, {
          path: 'sandbox.port',
          portEnv: 'SNOWLINE_SANDBOX_PORT',
          hostEnv: 'SNOWLINE_SANDBOX_HOST',
        }).then((started) => {
          answerOverlongRequests(started);
          // Counted at the listener, before routing rewrites the URL: the calls a client paid for, not the items a batch runs in-process.
          started.prependListener('request', (req: { url?: string }) => requests.request(req.url ?? ''));
          const bound = (started.address() as AddressInfo).port;
          const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${bound}`;
          listeningUrl = url;
          server = started;
          resolve({ port: bound, url });
        }, reject);
      }),
    reset: state.reset,
    async close() {
      businessRule.stop();
      controller.stop();
      if (server) await closeServer(server);
      state.close();
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Keep-alive connections of clients would hold close() open.
    server.closeAllConnections();
  });
}
