import { z } from 'zod';
import { connectorLimitsSchema } from '../endpoint-limits';
import { BODY_TYPES } from './body-types';

/**
 * Shapes of the HTTP connector. Each backend is a named endpoint in config (base URL, auth,
 * fixed headers); steps name the endpoint and give only a path, query, headers and body, so a
 * ticket can never point a request at another host or read the credentials.
 */

const secret = z.string().min(1);

/**
 * A Google service account key file (JSON, as the console downloads it), given whole — usually
 * through a `file:` reference — or already parsed. Only the fields the JWT grant needs are read.
 */
const googleKeySchema = z.preprocess(
  (value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  },
  z
    .object({
      type: z.literal('service_account'),
      client_email: z.string().email(),
      private_key: z.string().includes('-----BEGIN PRIVATE KEY-----', { message: 'must be a PEM private key' }),
      private_key_id: z.string().min(1).optional(),
      token_uri: z.string().url().default('https://oauth2.googleapis.com/token'),
    })
    .passthrough(),
);

export const authSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('bearer'), token: secret }).strict(),
  z.object({ type: z.literal('basic'), username: z.string().min(1), password: secret }).strict(),
  z.object({ type: z.literal('api_key'), header: z.string().regex(/^[A-Za-z0-9-]+$/), value: secret }).strict(),
  z
    .object({
      type: z.literal('oauth2_client_credentials'),
      tokenUrl: z.string().url().describe('e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token'),
      clientId: z.string().min(1),
      clientSecret: secret,
      scope: z.string().optional().describe('e.g. https://management.azure.com/.default'),
      audience: z.string().optional(),
      clientAuth: z.enum(['body', 'basic']).default('body').describe('client_secret_post or client_secret_basic'),
    })
    .strict(),
  z
    .object({
      type: z.literal('google_service_account'),
      credentials: googleKeySchema.describe('the service account key JSON, e.g. file:/etc/snowline/google-sa.json'),
      scopes: z.array(z.string().url()).min(1).describe('e.g. https://www.googleapis.com/auth/cloud-platform'),
      subject: z.string().email().optional().describe('user to impersonate (domain-wide delegation)'),
    })
    .strict(),
  z
    .object({
      type: z.literal('aws_sigv4'),
      region: z.string().regex(/^[a-z0-9-]+$/),
      service: z
        .string()
        .regex(/^[a-z0-9-]+$/)
        .describe('signing name, e.g. ec2'),
      accessKeyId: z.string().min(1),
      secretAccessKey: secret,
      sessionToken: z.string().min(1).optional(),
    })
    .strict(),
]);
export type AuthConfig = z.infer<typeof authSchema>;

export const endpointSchema = z
  .object({
    baseUrl: z.string().url().describe('scheme, host and optional path prefix; step paths are appended'),
    auth: authSchema.default({ type: 'none' }),
    headers: z.record(z.string(), z.string()).default({}).describe('sent with every request'),
    timeoutMs: z.number().int().positive().default(30_000).describe('per request, in ms'),
    idempotencyHeader: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/)
      .nullable()
      .default('Idempotency-Key')
      .describe('header carrying the step idempotency key; null sends none'),
    maxResponseBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
  })
  .strict();
export type EndpointConfig = z.infer<typeof endpointSchema>;

export const httpConfigSchema = z
  .object({
    endpoints: z
      .record(z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/), endpointSchema)
      .describe('backends steps may call, by name'),
    // Per host: endpoints on one host share its limits.
    ...connectorLimitsSchema,
  })
  .strict();
export type HttpConfig = z.infer<typeof httpConfigSchema>;
export type HttpConfigInput = z.input<typeof httpConfigSchema>;

/** Headers a step may not set: the endpoint's auth and framing are Snowline's. */
export const RESERVED_HEADERS = new Set([
  'authorization',
  'host',
  'cookie',
  'content-length',
  'transfer-encoding',
  'x-amz-date',
  'x-amz-security-token',
  'proxy-authorization',
]);

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type Method = (typeof METHODS)[number];

const pathSchema = z
  .string()
  .min(1)
  .max(2048)
  .refine((p) => p.startsWith('/') && !p.startsWith('//'), 'must start with a single /')
  .refine((p) => !/[?#\s\\]/.test(p), 'must not contain ?, #, \\ or whitespace (put query parameters in query)')
  .refine(
    (p) =>
      !p.split('/').some((seg) => {
        try {
          return decodeURIComponent(seg) === '..' || decodeURIComponent(seg) === '.';
        } catch {
          return true;
        }
      }),
    'must not contain . or .. segments or bad percent-encoding',
  );

/**
 * A header value Snowline can send exactly: printable ASCII (RFC 9110 field-value). Node writes other
 * characters as Latin-1 bytes, dropping or changing them, and the receiver strips leading and trailing
 * spaces; ticket text with such characters goes in encoded (`url_encode`) or in the body.
 */
const headerValueSchema = z
  .string()
  .max(4096)
  .refine((v) => !/[\r\n]/.test(v), 'must not contain line breaks')
  .refine(
    (v) => /^[\x20-\x7e\t]*$/.test(v),
    'must be printable ASCII (encode other text with url_encode, or send it in the body)',
  )
  .refine((v) => v.trim() === v, 'must not start or end with spaces');

export const requestParamsSchema = z
  .object({
    endpoint: z.string().min(1).describe('an endpoint name from config'),
    method: z.enum(METHODS),
    path: pathSchema.describe('appended to the endpoint base URL; encode ticket text with url_encode'),
    query: z.record(z.string(), z.union([z.string().max(4096), z.number(), z.boolean()])).optional(),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/), headerValueSchema)
      .refine(
        (h) => !Object.keys(h).some((k) => RESERVED_HEADERS.has(k.toLowerCase())),
        'must not set Authorization, Host, Cookie or framing headers',
      )
      .optional(),
    body: z.unknown().optional().describe('JSON body (sent as application/json unless headers say otherwise)'),
    body_types: z
      .record(z.string().min(1).max(200), z.enum(BODY_TYPES))
      .optional()
      .describe(
        'body path → integer | number | boolean: rendered strings converted (or refused), e.g. {"spec.replicas": integer}',
      ),
    success: z
      .object({
        status: z.array(z.number().int().min(100).max(599)).min(1).optional().describe('default: any 2xx'),
        check: z
          .object({ path: z.string(), equals: z.union([z.string(), z.number(), z.boolean(), z.null()]) })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    result: z
      .record(z.string(), z.string())
      .optional()
      .describe('result field name -> path in the response body, e.g. data.items[0].id'),
  })
  .strict();
export type RequestParams = z.infer<typeof requestParamsSchema>;

export const requestResultSchema = z.object({
  status: z.number().int(),
  fields: z.record(z.string(), z.unknown()),
  body: z.unknown().optional().describe('the parsed body, when no result mapping is given'),
});
export type RequestResult = z.infer<typeof requestResultSchema>;
