import { z } from 'zod';
import { localRunnerConfigSchema } from '../../connectors/ansible/local/schemas';
import { cmdbConfigSchema } from '../../connectors/cmdb/schemas';
import { httpConfigSchema } from '../../connectors/http/schemas';
import { notifyConfigSchema } from '../../connectors/notify/schemas';
import { ROLES } from '../security/roles';
import { oidcConfigSchema } from '../security/oidc-config';
import { connectorLimitsSchema } from '../../connectors/endpoint-limits';

/** The sections of Snowline's configuration (src/config/index.ts assembles them). Every field says its unit. */

/** A secret is given as `env:NAME`, `file:PATH` or (for the sandbox only) a literal. */
export const secretSchema = z.string().min(1);

export const serverSchema = z.object({
  port: z.number().int().min(0).max(65535).describe('HTTP port of the middleware (env PORT)'),
  host: z.string().describe('address to bind'),
  bodyLimitBytes: z.number().int().positive().describe('largest accepted request body, in bytes'),
  shutdownGraceMs: z.number().int().nonnegative().describe('how long SIGTERM waits for in-flight work, in ms'),
  corsOrigins: z
    .array(z.string().url())
    .default([])
    .describe('browser origins allowed to call the API; empty (default) = CORS closed'),
  rateLimitPerMinute: z
    .number()
    .int()
    .positive()
    .default(600)
    .describe('API requests one identity (JWT sub) may make per minute'),
  refusedPerAddressPerMinute: z
    .number()
    .int()
    .positive()
    .default(120)
    .describe(
      'refused requests (bad token or signature, replay) one address may cause per minute before all its requests get 429',
    ),
  webhookPerAddressPerMinute: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe('webhook deliveries one address may make per minute; 0 = unlimited (refusals stay limited)'),
  requestTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe('a request must arrive whole within this many ms (slow clients are cut off), in ms'),
  headersTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('request headers must arrive within this many ms, in ms'),
});

export const storeSchema = z.object({
  sqlitePath: z.string().min(1).describe('SQLite file (env SNOWLINE_DB)'),
  postgresUrl: z
    .string()
    .url()
    .optional()
    .describe('PostgreSQL URL; takes precedence over sqlitePath (env DATABASE_URL)'),
  postgresSchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'expected a lower-case SQL identifier')
    .optional()
    .describe('PostgreSQL schema, created when missing; unset = the search_path default (env SNOWLINE_DB_SCHEMA)'),
});

export const serviceNowSchema = z.object({
  url: z.string().url().optional().describe('instance URL; unset = the built-in sandbox (env SERVICENOW_URL)'),
  username: z.string().optional().describe('integration user for basic auth (env SERVICENOW_USER)'),
  password: secretSchema.optional().describe('its password (env SERVICENOW_PASSWORD)'),
  authType: z
    .enum(['basic', 'oauth', 'api_key', 'bearer'])
    .optional()
    .describe(
      'how Snowline authenticates (env SERVICENOW_AUTH); unset = oauth when clientId is set, else api_key when apiKey is, else bearer when token is, else basic',
    ),
  clientId: z
    .string()
    .min(1)
    .optional()
    .describe('OAuth client id of the application registry (env SERVICENOW_CLIENT_ID)'),
  clientSecret: secretSchema.optional().describe('OAuth client secret (env SERVICENOW_CLIENT_SECRET)'),
  oauthGrant: z
    .enum(['password', 'client_credentials', 'refresh_token'])
    .optional()
    .describe(
      'OAuth grant (env SERVICENOW_OAUTH_GRANT); unset = password when username is set, else client_credentials',
    ),
  refreshToken: secretSchema
    .optional()
    .describe('OAuth refresh token for grant refresh_token (env SERVICENOW_REFRESH_TOKEN)'),
  apiKey: secretSchema.optional().describe('API key sent as x-sn-apikey (env SERVICENOW_API_KEY)'),
  token: secretSchema.optional().describe('static bearer token obtained elsewhere (env SERVICENOW_TOKEN)'),
  extraHeaders: z
    .record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string())
    .optional()
    .describe('headers sent on every ServiceNow request; never replace auth headers'),
  attachmentMaxBytes: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('largest job log uploaded as an attachment, in bytes (default 5 MiB)'),
  requestsPerHour: z.number().int().positive().optional().describe('stay under the instance REST rate-limit rule'),
  maxConcurrent: z.number().int().positive().describe('Table API requests at once'),
  timeoutMs: z.number().int().positive().describe('per request, in ms'),
  batch: z
    .object({
      enabled: z
        .boolean()
        .default(true)
        .describe(
          'send write-backs to several tickets due together as one Batch API request (POST /api/now/v1/batch); a refusal of the Batch API falls back to one request per call',
        ),
      maxItems: z.number().int().min(2).max(200).default(50).describe('calls carried by one batch request at most'),
      lingerMs: z
        .number()
        .int()
        .min(0)
        .max(5000)
        .default(100)
        .describe(
          'while deliveries are under way, how long a due write-back waits for others to share its batch, in ms (0 = never); with none under way it goes at once',
        ),
    })
    .default({ enabled: true, maxItems: 50, lingerMs: 100 }),
  quotaMs: z
    .number()
    .int()
    .min(1000)
    .max(600_000)
    .default(30_000)
    .describe(
      "the instance's transaction quota, in ms (30 s unless an admin changed the quota rule): it cuts a batch, and a write whose answer was lost (a batch, a PATCH, an upload) may still be carried out until then, so whether it landed is read only a third after it",
    ),
  writebacksInFlight: z
    .number()
    .int()
    .positive()
    .default(8)
    .describe(
      'write-back deliveries (one PATCH or one batch each) an instance has under way at once; requests still pass maxConcurrent',
    ),
  pollSeconds: z.number().int().min(1).describe('Table API poll interval in seconds (env SNOWLINE_POLL_SECONDS)'),
  pollOverlapSeconds: z
    .number()
    .int()
    .nonnegative()
    .describe('how far behind the watermark each poll starts, for clock skew'),
  tables: z
    .array(z.enum(['incident', 'change_request', 'problem']))
    .min(1)
    .describe('tables whose events Snowline takes'),
});

export const awxSchema = z.object({
  url: z.string().url().optional().describe('controller URL; unset = the sandbox controller (env AWX_URL)'),
  apiPath: z
    .string()
    .regex(/^\/.*\/$/)
    .describe('/api/v2/ (AWX, AAP ≤ 2.4) or /api/controller/v2/ (AAP 2.5+ gateway)'),
  token: secretSchema.optional().describe('bearer token (env AWX_TOKEN)'),
  timeoutMs: z.number().int().positive(),
  pollIntervalMs: z.number().int().positive().describe('how often a waiting job is looked at, in ms'),
  templateCacheMs: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe(
      "how long a template's lookup and launch prompts serve further launches, in ms; default 5000, 0 = every launch",
    ),
  // The controller's limits; the ansible connector's declared defaults where unset.
  ...connectorLimitsSchema,
  retry: z
    .object({
      maxAttempts: z.number().int().min(1).max(20),
      baseDelayMs: z.number().int().positive(),
      maxDelayMs: z.number().int().positive(),
    })
    .strict()
    .optional()
    .describe(
      "the client's own retries of idempotent controller calls (429, 5xx, network); default 4 attempts from 500 ms",
    ),
});

export const sandboxSchema = z.object({
  port: z.number().int().min(0).max(65535).describe('sandbox port (env SNOWLINE_SANDBOX_PORT)'),
  host: z
    .string()
    .default('127.0.0.1')
    .describe('address the sandbox binds (env SNOWLINE_SANDBOX_HOST); 0.0.0.0 to reach it from outside a container'),
  user: z.string().min(1).describe('sandbox basic-auth user (env SNOWLINE_SANDBOX_USER)'),
  password: z.string().min(1).describe('(env SNOWLINE_SANDBOX_PASSWORD)'),
  awxToken: z.string().min(1).describe('bearer token the sandbox controller accepts (env SNOWLINE_SANDBOX_AWX_TOKEN)'),
  webhookUrl: z.string().url().describe('where its Business Rule posts (env SNOWLINE_SANDBOX_WEBHOOK_URL)'),
  webhooks: z.boolean().describe('whether its Business Rule posts at all (env SNOWLINE_SANDBOX_WEBHOOKS)'),
  jobDurationMs: z.number().int().nonnegative().describe('how long a sandbox controller job runs, in ms'),
  publicUrl: z
    .string()
    .url()
    .optional()
    .describe("the sandbox's public address for its links, behind a TLS front (env SNOWLINE_SANDBOX_PUBLIC_URL)"),
  latency: z
    .string()
    .optional()
    .describe('answer times per API: realistic, off, or table=200:80,awx=150 (env SNOWLINE_SANDBOX_LATENCY)'),
  store: z
    .string()
    .min(1)
    .optional()
    .describe(
      "the sandbox's own SQLite file, kept across restarts (env SNOWLINE_SANDBOX_DB; default <store>.sandbox.db next to the SQLite store, e.g. data/snowline.sandbox.db; :memory: keeps nothing)",
    ),
  oauthClientId: z
    .string()
    .min(1)
    .optional()
    .describe('client id its /oauth_token.do accepts (env SNOWLINE_SANDBOX_OAUTH_CLIENT_ID, default snowline-sandbox)'),
  oauthClientSecret: z
    .string()
    .min(1)
    .optional()
    .describe('its client secret (env SNOWLINE_SANDBOX_OAUTH_CLIENT_SECRET, default sandbox)'),
  apiKey: z
    .string()
    .min(1)
    .optional()
    .describe('API key it accepts in x-sn-apikey (env SNOWLINE_SANDBOX_API_KEY, default sandbox-api-key)'),
});

export const securitySchema = z.object({
  webhookSecret: secretSchema.describe('HMAC key of the Business Rule (env SNOWLINE_WEBHOOK_SECRET)'),
  replayWindowSeconds: z.number().int().positive().describe('accepted clock difference of a webhook, in seconds'),
  jwtSecret: secretSchema.describe('HS256 key for API tokens (env SNOWLINE_JWT_SECRET)'),
  jwtIssuer: z.string().min(1).describe('iss of tokens issued and accepted'),
  jwtAudience: z.string().min(1).describe('aud of tokens issued and accepted'),
  tokenTtlSeconds: z.number().int().positive().describe('lifetime of tokens from `snowline token`'),
  jwtClockSkewSeconds: z
    .number()
    .int()
    .nonnegative()
    .default(30)
    .describe('tolerated clock difference on exp/nbf, in seconds'),
  jwtMaxLifetimeSeconds: z
    .number()
    .int()
    .positive()
    .default(86_400)
    .describe('longest token lifetime accepted (exp − iat), in seconds; tokens without exp are refused'),
  jwtPublicKey: z
    .string()
    .includes('PUBLIC KEY')
    .optional()
    .describe('PEM public key of the identity provider for RS256/ES256 tokens (use file:PATH)'),
  jwksUrl: z
    .string()
    .url()
    .optional()
    .describe('JWKS URL of the identity provider (env SNOWLINE_JWKS_URL); keys cached, refetched on an unknown kid'),
  jwksCacheMs: z.number().int().positive().default(600_000).describe('how long a JWKS key stays cached, in ms'),
  groupsClaim: z.string().min(1).default('groups').describe('token claim listing the identity-provider groups'),
  groupRoles: z
    .record(z.string(), z.array(z.enum(ROLES)))
    .default({})
    .describe('identity-provider group → Snowline roles'),
  oidc: oidcConfigSchema.optional().describe('console sign-in with the identity provider (docs/console.md)'),
  webhookAllowedIps: z
    .array(z.ipv4().or(z.ipv6()))
    .default([])
    .describe('source addresses allowed to post webhooks; empty = any'),
  auditAnchorFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      'where signed checkpoints of the audit journal are appended; keep it where database users cannot write (env SNOWLINE_AUDIT_ANCHOR_FILE); unset = audit-anchors.jsonl beside the SQLite file, or data/ with PostgreSQL',
    ),
  auditAnchorKey: secretSchema
    .optional()
    .describe('HMAC key signing the anchors (env SNOWLINE_AUDIT_ANCHOR_KEY); unset = derived from jwtSecret'),
  auditAnchorSeconds: z
    .number()
    .int()
    .positive()
    .default(5)
    .describe('how often the journal head is anchored when it moved, in seconds'),
  webhookReplayCacheSize: z
    .number()
    .int()
    .positive()
    .default(100_000)
    .describe('signatures remembered to refuse a replayed delivery'),
});

/** Keys for secrets Snowline stores (AES-256-GCM): 32 bytes as 64 hex or Base64 characters. */
export const secretsSchema = z.object({
  key: secretSchema.optional().describe('current key, encrypts and decrypts (env SNOWLINE_SECRET_KEY, or file:PATH)'),
  previousKeys: z
    .string()
    .optional()
    .describe(
      'comma-separated retired keys, decrypt only, until `snowline secrets rotate` (env SNOWLINE_SECRET_KEYS_PREVIOUS)',
    ),
});

export const redisSchema = z.object({
  url: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'expected a redis:// or rediss:// URL')
    .optional()
    .describe(
      'Redis for rate limits shared by every instance (bottleneck clustering); unset = each instance limits itself (env SNOWLINE_REDIS_URL)',
    ),
});

/** A freeze is written `yyyy-MM-dd HH:mm:ss` (UTC, the Table API's raw form) or ISO 8601. */
const freezeInstant = z
  .string()
  .refine(
    (text) => !Number.isNaN(Date.parse(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`)),
    'expected a date-time: yyyy-MM-dd HH:mm:ss (UTC) or ISO 8601',
  );

export const changeSchema = z
  .object({
    freezes: z
      .array(
        z
          .object({ name: z.string().min(1), start: freezeInstant, end: freezeInstant })
          .strict()
          .refine((f) => freezeMs(f.end) > freezeMs(f.start), { message: 'end must be after start', path: ['end'] }),
      )
      .default([])
      .describe('change freezes: non-emergency changes do not run inside them'),
    blackoutSchedules: z
      .boolean()
      .default(false)
      .describe('also read blackout schedules (cmn_schedule type blackout) from the instance'),
    recheckSeconds: z
      .number()
      .int()
      .positive()
      .default(3)
      .describe('how often a change waiting for approval or a conflicting change is checked again, in seconds'),
  })
  .strict();

/** UTC milliseconds of a freeze bound as written in config. */
export function freezeMs(text: string): number {
  return Date.parse(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`);
}

/**
 * Optional connectors: each section present builds that connector (its README documents the
 * fields); absent, steps using it fail validation at run time with "no handler".
 */
export const connectorsSchema = z
  .object({
    http: httpConfigSchema.optional().describe('REST endpoints (connectors/http/README.md)'),
    ansible_local: localRunnerConfigSchema
      .optional()
      .describe('local ansible-playbook runner (connectors/ansible/README.md)'),
    cmdb: cmdbConfigSchema
      .optional()
      .describe('CMDB through the IRE (connectors/cmdb/README.md); uses the ServiceNow instance'),
    notify: notifyConfigSchema.optional().describe('Slack, Teams and SMTP channels (connectors/notify/README.md)'),
  })
  .strict();
