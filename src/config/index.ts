import { z } from 'zod';
import { describeIssue } from './describe-issue';
import { layeredConfig } from './layered-config';
import { reportsConfigSchema } from '../reports/reports-settings';
import { retentionConfigSchema } from '../retention/retention-settings';
import { getPath, type ValueSources } from './layers';
import { ConfigError } from '../errors';
import { observabilitySchema } from '../observability/observability-config';
import { privilegeConfigSchema } from '../security/privilege-provider';
import { instanceAuth } from './servicenow-auth';
import {
  serverSchema,
  storeSchema,
  serviceNowSchema,
  awxSchema,
  sandboxSchema,
  securitySchema,
  secretsSchema,
  redisSchema,
  changeSchema,
  connectorsSchema,
} from './sections';
import { engineSchema } from './engine-section';

export { freezeMs } from './sections';

/**
 * Snowline's configuration: the embedded `config/default.yaml`, the site's files (`SNOWLINE_CONFIG`)
 * laid over it, the environment on top (src/config/), then one zod validation. Any problem stops
 * start-up with one line per problem. Every field says its unit.
 */

export const configSchema = z.object({
  server: serverSchema,
  store: storeSchema,
  servicenow: serviceNowSchema,
  awx: awxSchema,
  sandbox: sandboxSchema,
  security: securitySchema,
  secrets: secretsSchema.default({}),
  privilege: privilegeConfigSchema
    .default({ leaseSeconds: 900, releaseSweepSeconds: 30, providers: {}, credentials: {} })
    .describe(
      'just-in-time credentials of privileged steps: providers (vault, pam) and the named credentials steps check out',
    ),
  engine: engineSchema,
  redis: redisSchema.default({}),
  change: changeSchema
    .default({ freezes: [], blackoutSchedules: false, recheckSeconds: 3 })
    .describe('change management gates (src/change/)'),
  mappings: z.object({
    dir: z.string().min(1).describe('mapping tables (env SNOWLINE_MAPPINGS)'),
    hotReload: z
      .boolean()
      .default(true)
      .describe('reload the tables when their files change; an invalid set never replaces the running one'),
    groupCacheSeconds: z
      .number()
      .int()
      .min(0)
      .max(86400)
      .default(300)
      .describe("how long an agent's ServiceNow group memberships are trusted for work-note commands"),
  }),
  logging: z.object({ level: z.enum(['error', 'warn', 'info', 'debug']).describe('(env LOG_LEVEL)') }),
  connectors: connectorsSchema.default({}),
  retention: retentionConfigSchema
    .prefault({})
    .describe('how long records are kept, and where pruned runs are archived'),
  reports: reportsConfigSchema.prefault({}).describe('settings of the value, portfolio and SLA reports'),
  observability: observabilitySchema
    .default(observabilitySchema.parse({}))
    .describe('SLOs, alerts raised in ServiceNow, the Alertmanager receiver and tracing (docs/observability.md)'),
});
export type Config = z.infer<typeof configSchema>;

/** Values the shipped default.yaml marks as sandbox-only; a connected instance must replace them. */
const SANDBOX_ONLY_SECRETS = ['security.webhookSecret', 'security.jwtSecret'] as const;
const SANDBOX_MARKER = 'sandbox-only';

export interface LoadOptions {
  /** One site file laid over the defaults (shorthand for `files: [file]`). */
  file?: string;
  /** Site files laid over the defaults, in order; default: env SNOWLINE_CONFIG, comma-separated. */
  files?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Reads the layers, resolves and validates; throws ConfigError listing every problem. */
export function loadConfig(options: LoadOptions = {}): Config {
  return loadConfigWithSources(options).config;
}

/** The validated configuration and where each value came from (for `snowline config show`). */
export function loadConfigWithSources(options: LoadOptions = {}): { config: Config; sources: ValueSources } {
  const { raw, sources } = layeredConfig({
    files: options.files ?? (options.file ? [options.file] : undefined),
    env: options.env,
  });
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => describeIssue(issue, raw)));
  const config = parsed.data;
  const sandboxSecrets = SANDBOX_ONLY_SECRETS.filter((path) => String(getPath(config, path)).includes(SANDBOX_MARKER));
  if (config.servicenow.url) {
    const auth = instanceAuth(config.servicenow);
    const refused = sandboxSecrets.map(
      (p) => `${p}: expected a real secret for a connected instance, got the sandbox default`,
    );
    const instanceProblems = [...(auth.ok ? [] : auth.problems), ...refused];
    if (instanceProblems.length > 0) throw new ConfigError(instanceProblems);
  }
  return { config, sources };
}

/** True when Snowline runs against its built-in sandbox rather than a configured instance. */
export function usesSandbox(config: Config): boolean {
  return !config.servicenow.url;
}
