import express, { type Express } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'winston';
import { ConfigError } from '../errors';
import { listenOn } from '../listen';
import { silentLogger } from '../observability/logger';
import { AwxController } from './awx/controller';
import { awxRouter } from './awx/http/awx.router';
import type { BaseUrlOf } from './http/base-url';
import { AttachmentService } from './servicenow/attachments';
import { ImportSetService } from './servicenow/import-sets';
import { ChangeApprovalRules } from './servicenow/rules/change-approvals';
import { WebhookBusinessRule } from './servicenow/business-rule';
import { servicenowRouter } from './servicenow/http/servicenow.router';
import { RecordStore } from './servicenow/record-store';
import { seedInstance } from './servicenow/seed';
import { TableService } from './servicenow/table-service';
import { StateFile, type SandboxState } from './state-file';
import { adminRouter } from './admin/admin.router';
import { FAULT_TARGETS, FaultInjector, type FaultPlanInput, type FaultTarget } from './faults/fault-injector';
import { injectFaults } from './faults/fault.middleware';
import { OAuthIssuer, type OAuthClient } from './servicenow/auth/oauth-issuer';
import { oauthRouter } from './servicenow/http/oauth.router';
import { RateLimitRules, rateLimitRulesSchema, type RateLimitRuleInput } from './servicenow/rate-limit-rules';

/** How a sandbox is set up (see DESIGN.md "Stable interface" for the environment behind each). */
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
  /** Keep the instance and the controller's jobs in this JSON file across restarts. */
  persistFile?: string;
  /** §3.2 incident resolution data policy (default on). */
  dataPolicy?: boolean;
  logger?: Logger;
  /** Start of reference links and Location URLs; default `http://127.0.0.1:<port>` once listening. */
  baseUrl?: string;
  /** §5.2 OAuth application registry; default client `snowline-sandbox` / secret `sandbox`, tokens of 1800 s. */
  oauth?: Partial<OAuthClient>;
  /** §5.3 API key accepted in `x-sn-apikey`; default `sandbox-api-key`. */
  apiKey?: string;
  /** §5.4 REST rate-limit rules in force from the start (none by default; see PUT /sandbox/rate-limits). */
  rateLimitRules?: RateLimitRuleInput[];
  /** Fault plans in force from the start (see PUT /sandbox/faults/{target}). */
  faults?: Partial<Record<FaultTarget, FaultPlanInput>>;
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
  /** Stops serving, timers and webhook deliveries, and saves the state file. */
  close(): Promise<void>;
}

/** Builds the sandbox: its state (restored from `persistFile`, else seeded), its business rule, its routes. */
export function createSandbox(options: SandboxOptions): Sandbox {
  const logger = options.logger ?? silentLogger();
  const stateFile = options.persistFile ? new StateFile(options.persistFile, logger) : undefined;
  const markDirty = () => stateFile?.markDirty();
  const store = new RecordStore(markDirty);
  const controller = new AwxController({ jobDurationMs: options.jobDurationMs, onChange: markDirty });
  const saved = stateFile?.read();
  if (saved) restore(saved, store, controller, options.persistFile ?? '');
  else seedInstance(store, options.user);
  stateFile?.track(() => ({ servicenow: store.snapshot(), awx: controller.snapshot() }));

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
    onWrite: (write) => {
      businessRule.onWrite(write);
      changeApprovals.onWrite(write);
    },
  });
  const attachments = new AttachmentService(store, service);
  let listeningUrl: string | undefined;
  // Before listen() (supertest on `app`), links follow the request's own host.
  const baseUrl: BaseUrlOf = (req) => options.baseUrl ?? listeningUrl ?? `${req.protocol}://${req.get('host')}`;
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
  app.use('/sandbox', adminRouter({ account, faults, rateLimits, oauth }));
  app.use(['/api/now', '/oauth_token.do'], injectFaults(faults, 'servicenow'));
  app.use(oauthRouter(oauth));
  app.use(
    '/api/now',
    servicenowRouter(
      { service, attachments, store, baseUrl, now: () => new Date() },
      new ImportSetService(store, service),
      credentials,
      rateLimits,
      logger,
    ),
  );
  // AWX and AAP ≤ 2.4 serve the controller at /api/v2/; AAP 2.5+ through its gateway at /api/controller/v2/ (awx-reference §1.1).
  const controllerApi = awxRouter({ controller, account, token: options.awxToken, baseUrl, now: Date.now, logger });
  app.use(['/api/v2', '/api/controller/v2'], injectFaults(faults, 'awx'), controllerApi);

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
          const bound = (started.address() as AddressInfo).port;
          const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${bound}`;
          listeningUrl = url;
          server = started;
          resolve({ port: bound, url });
        }, reject);
      }),
    async close() {
      businessRule.stop();
      controller.stop();
      if (server) await closeServer(server);
      await stateFile?.flush();
    },
  };
}

function restore(saved: SandboxState, store: RecordStore, controller: AwxController, file: string): void {
  try {
    store.restore(saved.servicenow);
    controller.restore(saved.awx);
  } catch (err) {
    throw new ConfigError([
      `sandbox.persistFile: ${file} holds an unreadable sandbox state (${(err as Error).message})`,
    ]);
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Keep-alive connections of clients would hold close() open.
    server.closeAllConnections();
  });
}
