import { readFileSync } from 'node:fs';
import { setPath, type RawConfig, type ValueSources } from './layers';

type Kind = 'string' | 'int' | 'bool';

/** Environment variables and the config path each sets, with how its text is read. */
export const ENVIRONMENT: { name: string; path: string; kind: Kind }[] = [
  { name: 'PORT', path: 'server.port', kind: 'int' },
  { name: 'HOST', path: 'server.host', kind: 'string' },
  { name: 'SNOWLINE_DB', path: 'store.sqlitePath', kind: 'string' },
  { name: 'DATABASE_URL', path: 'store.postgresUrl', kind: 'string' },
  { name: 'SNOWLINE_DB_SCHEMA', path: 'store.postgresSchema', kind: 'string' },
  { name: 'SERVICENOW_URL', path: 'servicenow.url', kind: 'string' },
  { name: 'SERVICENOW_USER', path: 'servicenow.username', kind: 'string' },
  { name: 'SERVICENOW_PASSWORD', path: 'servicenow.password', kind: 'string' },
  { name: 'SERVICENOW_AUTH', path: 'servicenow.authType', kind: 'string' },
  { name: 'SERVICENOW_CLIENT_ID', path: 'servicenow.clientId', kind: 'string' },
  { name: 'SERVICENOW_CLIENT_SECRET', path: 'servicenow.clientSecret', kind: 'string' },
  { name: 'SERVICENOW_OAUTH_GRANT', path: 'servicenow.oauthGrant', kind: 'string' },
  { name: 'SERVICENOW_REFRESH_TOKEN', path: 'servicenow.refreshToken', kind: 'string' },
  { name: 'SERVICENOW_API_KEY', path: 'servicenow.apiKey', kind: 'string' },
  { name: 'SERVICENOW_TOKEN', path: 'servicenow.token', kind: 'string' },
  { name: 'SNOWLINE_POLL_SECONDS', path: 'servicenow.pollSeconds', kind: 'int' },
  { name: 'AWX_URL', path: 'awx.url', kind: 'string' },
  { name: 'AWX_TOKEN', path: 'awx.token', kind: 'string' },
  { name: 'SNOWLINE_SANDBOX_PORT', path: 'sandbox.port', kind: 'int' },
  { name: 'SNOWLINE_SANDBOX_HOST', path: 'sandbox.host', kind: 'string' },
  { name: 'SNOWLINE_SANDBOX_USER', path: 'sandbox.user', kind: 'string' },
  { name: 'SNOWLINE_SANDBOX_PASSWORD', path: 'sandbox.password', kind: 'string' },
  { name: 'SNOWLINE_SANDBOX_AWX_TOKEN', path: 'sandbox.awxToken', kind: 'string' },
  { name: 'SNOWLINE_SANDBOX_WEBHOOK_URL', path: 'sandbox.webhookUrl', kind: 'string' },
  { name: 'SNOWLINE_SANDBOX_WEBHOOKS', path: 'sandbox.webhooks', kind: 'bool' },
  { name: 'SNOWLINE_SANDBOX_JOB_MS', path: 'sandbox.jobDurationMs', kind: 'int' },
  { name: 'SNOWLINE_SANDBOX_OAUTH_CLIENT_ID', path: 'sandbox.oauthClientId', kind: 'string' },
  { name: 'SNOWLINE_SANDBOX_OAUTH_CLIENT_SECRET', path: 'sandbox.oauthClientSecret', kind: 'string' },
  { name: 'SNOWLINE_SANDBOX_API_KEY', path: 'sandbox.apiKey', kind: 'string' },
  { name: 'SNOWLINE_SANDBOX_DB', path: 'sandbox.store', kind: 'string' },
  { name: 'SNOWLINE_SANDBOX_PUBLIC_URL', path: 'sandbox.publicUrl', kind: 'string' },
  { name: 'SNOWLINE_SANDBOX_LATENCY', path: 'sandbox.latency', kind: 'string' },
  { name: 'SNOWLINE_WEBHOOK_SECRET', path: 'security.webhookSecret', kind: 'string' },
  { name: 'SNOWLINE_JWT_SECRET', path: 'security.jwtSecret', kind: 'string' },
  { name: 'SNOWLINE_JWKS_URL', path: 'security.jwksUrl', kind: 'string' },
  { name: 'SNOWLINE_AUDIT_ANCHOR_FILE', path: 'security.auditAnchorFile', kind: 'string' },
  { name: 'SNOWLINE_AUDIT_ANCHOR_KEY', path: 'security.auditAnchorKey', kind: 'string' },
  { name: 'SNOWLINE_SECRET_KEY', path: 'secrets.key', kind: 'string' },
  { name: 'SNOWLINE_SECRET_KEYS_PREVIOUS', path: 'secrets.previousKeys', kind: 'string' },
  { name: 'SNOWLINE_REDIS_URL', path: 'redis.url', kind: 'string' },
  { name: 'SNOWLINE_MAPPINGS', path: 'mappings.dir', kind: 'string' },
  { name: 'LOG_LEVEL', path: 'logging.level', kind: 'string' },
  { name: 'SNOWLINE_TRACING', path: 'observability.tracing.enabled', kind: 'bool' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', path: 'observability.tracing.otlpUrl', kind: 'string' },
  { name: 'SNOWLINE_ALERTMANAGER_TOKEN', path: 'observability.alertmanager.bearerToken', kind: 'string' },
];

/**
 * The top layer: each variable set (and not empty) replaces its path. `NAME_FILE` reads the value
 * from a file instead (Docker and Kubernetes secrets are mounted as files); `NAME` wins over it.
 */
export function applyEnvironment(
  raw: RawConfig,
  env: NodeJS.ProcessEnv,
  sources: ValueSources,
  problems: string[],
): void {
  for (const { name, path, kind } of ENVIRONMENT) {
    const read = readVariable(name, env, problems);
    if (!read) continue;
    const value = coerce(read.text, kind);
    if (value === undefined) {
      problems.push(
        `${path}: expected ${kind === 'int' ? 'an integer' : 'true or false'}, got ${JSON.stringify(read.text)} (from env ${read.from})`,
      );
      continue;
    }
    setPath(raw, path, value);
    sources.set(path, `env ${read.from}`);
  }
}

function readVariable(
  name: string,
  env: NodeJS.ProcessEnv,
  problems: string[],
): { text: string; from: string } | undefined {
  const text = env[name];
  if (text !== undefined && text !== '') return { text, from: name };
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    return { text: readFileSync(file, 'utf8').trim(), from: `${name}_FILE` };
  } catch (err) {
    problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

function coerce(text: string, kind: Kind): string | number | boolean | undefined {
  if (kind === 'string') return text;
  if (kind === 'int') return /^-?\d+$/.test(text.trim()) ? Number(text) : undefined;
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off)$/i.test(text)) return false;
  return undefined;
}
