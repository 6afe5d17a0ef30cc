import { z } from 'zod';
import { ConnectorError } from '../../src/errors';

/**
 * Shapes of the ServiceNow connector: its configuration, the values it reads from and writes to the
 * wire (the value readers and writers are in wire-values.ts), and the results its actions return.
 */

export { asBool, asDateTime, asInt, rawValue, toDateTime, toWire, wire, type FieldValue } from './wire-values';

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/** Secrets are plain strings here: the config loader has already resolved `env:` / `file:` references. */
const secret = z.string().min(1);

export const basicAuthSchema = z
  .object({
    type: z.literal('basic'),
    username: z.string().min(1).describe('integration user'),
    password: secret.describe('its password'),
  })
  .strict();

/**
 * OAuth 2.0 against `/oauth_token.do`. `grant` picks how the first token is obtained:
 * `password` (client + user credentials), `client_credentials` (acts as the registry's OAuth
 * Application User) or `refresh_token` (a refresh token issued elsewhere). Whenever a refresh
 * token is held, it is used first when the access token nears expiry.
 */
export const oauthAuthSchema = z
  .object({
    type: z.literal('oauth'),
    grant: z.enum(['password', 'refresh_token', 'client_credentials']).default('password'),
    clientId: z.string().min(1),
    clientSecret: secret,
    username: z.string().min(1).optional().describe('for grant password'),
    password: secret.optional().describe('for grant password'),
    refreshToken: secret.optional().describe('for grant refresh_token'),
    scope: z.string().min(1).optional(),
    tokenPath: z.string().regex(/^\//).default('/oauth_token.do').describe('token endpoint, relative to url'),
  })
  .strict()
  .superRefine((auth, ctx) => {
    if (auth.grant === 'password' && (!auth.username || !auth.password)) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'grant password needs username and password' });
    }
    if (auth.grant === 'refresh_token' && !auth.refreshToken) {
      ctx.addIssue({ code: 'custom', path: ['refreshToken'], message: 'grant refresh_token needs refreshToken' });
    }
  });

/** API key (Washington DC+), sent as header `x-sn-apikey`. */
export const apiKeyAuthSchema = z.object({ type: z.literal('api_key'), apiKey: secret }).strict();

/** A bearer token obtained outside Snowline (it is never refreshed). */
export const bearerAuthSchema = z.object({ type: z.literal('bearer'), token: secret }).strict();

export const authSchema = z.discriminatedUnion('type', [
  basicAuthSchema,
  oauthAuthSchema,
  apiKeyAuthSchema,
  bearerAuthSchema,
]);
export type ServiceNowAuth = z.infer<typeof authSchema>;
export type OAuthAuth = z.infer<typeof oauthAuthSchema>;

export const retrySchema = z
  .object({
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(4)
      .describe('HTTP attempts per idempotent request, first one included'),
    baseDelayMs: z.number().int().positive().default(500).describe('first backoff, doubled per attempt, in ms'),
    maxDelayMs: z.number().int().positive().default(30000).describe('backoff ceiling, in ms'),
    maxWaitMs: z
      .number()
      .int()
      .nonnegative()
      .default(60000)
      .describe(
        'longest in-process wait for a rate-limit reset, in ms; longer waits are handed to the engine as retryAfterMs',
      ),
  })
  .strict();

export const serviceNowConfigSchema = z
  .object({
    url: z.string().url().describe('instance base URL, e.g. https://acme.service-now.com'),
    auth: authSchema,
    requestsPerHour: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('stay under the instance REST rate-limit rule; unset = unlimited'),
    maxConcurrent: z.number().int().positive().default(4).describe('requests in flight at once against the instance'),
    timeoutMs: z.number().int().positive().default(30000).describe('per HTTP request, in ms'),
    attachmentMaxBytes: z
      .number()
      .int()
      .positive()
      .default(5 * 1024 * 1024)
      .describe('largest attachment uploaded, in bytes'),
    extraHeaders: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string())
      .default({})
      .describe('sent on every request (never overrides auth headers)'),
    retry: retrySchema.default({ maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 30000, maxWaitMs: 60000 }),
    healthTable: z
      .string()
      .regex(/^[a-z0-9_]+$/)
      .default('incident')
      .describe('table read by the health check'),
    journalFields: z
      .array(z.string().regex(/^[a-z0-9_]+$/))
      .default(['work_notes', 'comments', 'comments_and_work_notes'])
      .describe('fields whose write appends a journal entry (a PATCH carrying one is not idempotent)'),
  })
  .strict();
/** The connector's configuration after defaults. */
export type ServiceNowConfig = z.infer<typeof serviceNowConfigSchema>;
/** What a config file may say (defaults still to apply). */
export type ServiceNowConfigInput = z.input<typeof serviceNowConfigSchema>;

// ---------------------------------------------------------------------------------------------
// Identifiers and query values
// ---------------------------------------------------------------------------------------------

/** A table name as it appears in a URL: `incident`, `x_acme_app_table`. */
export const tableNameSchema = z.string().regex(/^[a-z0-9_]{1,80}$/, 'must be a ServiceNow table name (a-z, 0-9, _)');
/** A record's sys_id: 32 lowercase hex characters. */
export const sysIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters');
/** A column name, dot-walk allowed (`caller_id.email`). */
export const fieldNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, 'must be a ServiceNow column name');

/**
 * Guards a value Snowline puts into an encoded query. `^` separates conditions and cannot be
 * escaped (https://www.servicenow.com/docs/r/platform-user-interface/c_EncodedQueryStrings.html), so a value containing it would change the query's meaning;
 * line breaks are refused for the same reason. Returns the value unchanged when it is safe.
 */
export function queryValue(value: string | number | boolean): string {
  const text = String(value);
  const problem = text.includes('^')
    ? 'it contains ^'
    : /[\r\n]/.test(text)
      ? 'it contains a line break'
      : // The instance runs a value that starts with javascript: as a script (gs.getUserName() → the integration user).
        /^\s*javascript\s*:/i.test(text)
        ? 'it starts with javascript:, which the instance would run as a script'
        : undefined;
  if (problem)
    throw new ConnectorError(
      'servicenow',
      'permanent',
      'bad_query_value',
      `value ${JSON.stringify(text.slice(0, 80))} cannot be used in an encoded query: ${problem}`,
      { details: { value: text.slice(0, 200) } },
    );
  return text;
}

/** A sys_user's user_name as Snowline accepts it: letters, digits and . _ @ + - \\ ' and space, at most 100. */
const USER_NAME = /^[\p{L}\p{N}][\p{L}\p{N}._@+\-\\' ]{0,99}$/u;

/** An identity as a caller names it: a sys_user sys_id, or an exact user_name. */
export type Identity = { kind: 'sys_id'; value: string } | { kind: 'user_name'; value: string };

/**
 * Validates an identity value (`requested_by`, a work note's author) before any lookup: a sys_id
 * (32 lowercase hex) or a plain user_name, nothing else — no script, no query operators, no
 * wildcards. Anything else is refused once, for good (permanent `servicenow.bad_identity`).
 */
export function identityValue(value: string, field: string): Identity {
  if (/^[0-9a-f]{32}$/.test(value)) return { kind: 'sys_id', value };
  if (USER_NAME.test(value)) return { kind: 'user_name', value: queryValue(value) };
  throw new ConnectorError(
    'servicenow',
    'permanent',
    'bad_identity',
    `${field}: ${JSON.stringify(value.slice(0, 80))} is neither a sys_id nor a user_name`,
    { details: { field, value: value.slice(0, 200) } },
  );
}

/** The encoded-query condition matching exactly that user in a reference field (`user`, `caller_id`). */
export function identityCondition(referenceField: string, identity: Identity): string {
  return identity.kind === 'sys_id'
    ? `${referenceField}=${identity.value}`
    : `${referenceField}.user_name=${identity.value}`;
}

// ---------------------------------------------------------------------------------------------
// Wire shapes
// ---------------------------------------------------------------------------------------------

/** A record as returned by the Table API: column → wire value. */
export type SnRecord = Record<string, unknown>;

/** The error envelope of every failing ServiceNow REST call (docs/servicenow-behaviour.md §1.5). */
export const errorEnvelopeSchema = z.object({
  error: z.object({ message: z.string().nullish(), detail: z.string().nullish() }).passthrough(),
  status: z.string().optional(),
});

/** `POST /oauth_token.do` answer. */
export const tokenResponseSchema = z
  .object({
    access_token: z.string().min(1),
    refresh_token: z.string().optional(),
    token_type: z.string().optional(),
    scope: z.string().optional(),
    expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).default(1800),
  })
  .passthrough();
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

/** One row of `sys_journal_field`, converted. */
export interface JournalEntry {
  sysId: string;
  /** `work_notes` or `comments`. */
  element: string;
  /** sys_id of the task the entry belongs to. */
  elementId: string;
  /** Table of that task (`incident`). */
  table: string;
  value: string;
  createdOn: Date | undefined;
  createdBy: string;
}

/** Metadata of one attachment (`sys_attachment`), converted. */
export interface AttachmentInfo {
  sysId: string;
  fileName: string;
  contentType: string;
  sizeBytes: number | undefined;
  tableName: string;
  tableSysId: string;
  downloadLink: string;
  createdOn: Date | undefined;
  /** SHA-256 (hex) of the content, set by the instance on upload; `''` when the instance gives none. */
  hash: string;
}

// ---------------------------------------------------------------------------------------------
// Action results
// ---------------------------------------------------------------------------------------------

/**
 * docs/servicenow-behaviour.md §6.3 answer of `POST /api/now/import/{staging_table}`: the import set and one transform result
 * per target row. Values arrive as strings; `status` outside the known set is kept as text.
 */
export const importSetAnswerSchema = z
  .object({
    import_set: z.string(),
    staging_table: z.string(),
    result: z.array(
      z
        .object({
          transform_map: z.string().default(''),
          table: z.string().default(''),
          display_name: z.string().default(''),
          display_value: z.string().default(''),
          record_link: z.string().default(''),
          status: z.string(),
          sys_id: z.string().default(''),
          error_message: z.string().optional(),
          status_message: z.string().optional(),
        })
        .transform((r) => ({
          transformMap: r.transform_map,
          table: r.table,
          status: r.status as 'inserted' | 'updated' | 'ignored' | 'skipped' | 'error' | (string & {}),
          sysId: r.sys_id,
          displayName: r.display_name,
          displayValue: r.display_value,
          recordLink: r.record_link,
          errorMessage: r.error_message ?? r.status_message,
        })),
    ),
  })
  .transform((a) => ({ importSet: a.import_set, stagingTable: a.staging_table, results: a.result }));
/** A transformed import: camelCase, typed. */
export type ImportSetResult = z.output<typeof importSetAnswerSchema>;

export const updateRecordResultSchema = z.object({ sys_mod_count: z.number().int().nonnegative() });
export type UpdateRecordResult = z.infer<typeof updateRecordResultSchema>;

export const addWorkNoteResultSchema = z.object({
  sys_mod_count: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('after the note; absent when it was recovered from the journal and the record could not be read'),
  journal_entry: z.string().optional().describe('sys_id of the sys_journal_field row, when known'),
  recovered: z.boolean().describe('true when the note was found already written (after an ambiguous failure)'),
});
export type AddWorkNoteResult = z.infer<typeof addWorkNoteResultSchema>;

export const attachFileResultSchema = z.object({
  sys_id: z.string(),
  file_name: z.string(),
  size_bytes: z.number().int().nonnegative().optional(),
  download_link: z.string(),
  recovered: z.boolean(),
});
export type AttachFileResult = z.infer<typeof attachFileResultSchema>;

/** A task record Snowline created (change task, problem, incident). */
export const createdRecordSchema = z.object({
  table: z.string(),
  sys_id: z.string(),
  number: z.string(),
  recovered: z.boolean().describe('true when an earlier attempt had already created it (found by correlation_id)'),
});
export type CreatedRecord = z.infer<typeof createdRecordSchema>;

export const problemLinkResultSchema = z.object({
  problem: z.object({ sys_id: z.string(), number: z.string() }),
  created: z.boolean().describe('false when an open problem on the same CI was linked instead'),
  linked: z.boolean().describe('whether the ticket now points at the problem (incident.problem_id)'),
  recovered: z.boolean(),
});
export type ProblemLinkResult = z.infer<typeof problemLinkResultSchema>;
