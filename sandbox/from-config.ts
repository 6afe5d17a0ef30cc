import { basename, dirname, extname, join } from 'node:path';
import type { Logger } from 'winston';
import type { Config } from '../src/config';
import { ConfigError } from '../src/errors';
import { parseLatencySetting } from './http/latency';
import { IN_MEMORY } from './sandbox-db';
import { createSandbox, type SandboxOptions } from './server';

/**
 * Where the sandbox keeps its records: `sandbox.store` (env SNOWLINE_SANDBOX_DB) when set, else
 * a file beside Snowline's SQLite file and named after it (`data/snowline.sandbox.db` by default, so
 * two Snowline stores in one folder never share a sandbox), in memory when that store is in memory.
 */
export function sandboxStorePath(config: Config): string {
  if (config.sandbox.store) return config.sandbox.store;
  const snowline = config.store.sqlitePath;
  return snowline === IN_MEMORY
    ? IN_MEMORY
    : join(dirname(snowline), `${basename(snowline, extname(snowline))}.sandbox.db`);
}

/** The sandbox as `snowline serve` and `snowline sandbox` start it from the configuration. */
export function sandboxOptionsOf(config: Config, logger: Logger): SandboxOptions {
  const s = config.sandbox;
  return {
    user: s.user,
    password: s.password,
    awxToken: s.awxToken,
    webhookUrl: s.webhookUrl,
    webhookSecret: config.security.webhookSecret,
    webhooksEnabled: s.webhooks,
    jobDurationMs: s.jobDurationMs,
    // The instance Snowline is told it talks to: its batches are cut at the quota Snowline expects.
    batchTimeLimitMs: config.servicenow.quotaMs,
    store: sandboxStorePath(config),
    baseUrl: s.publicUrl,
    latency: latencyOf(s.latency),
    oauth: { clientId: s.oauthClientId, clientSecret: s.oauthClientSecret },
    apiKey: s.apiKey,
    logger,
  };
}

function latencyOf(setting: string | undefined) {
  try {
    return parseLatencySetting(setting ?? '');
  } catch (err) {
    throw new ConfigError([`sandbox.latency: ${(err as Error).message}`]);
  }
}

/** The sandbox `snowline serve` starts when SERVICENOW_URL is unset, listening on `sandbox.port`. */
export async function startSandboxFromConfig(
  config: Config,
  logger: Logger,
): Promise<{ url: string; close(): Promise<void> }> {
  logger.info(`starting the built-in ServiceNow + AWX sandbox on port ${config.sandbox.port} (no SERVICENOW_URL set)`);
  const sandbox = createSandbox(sandboxOptionsOf(config, logger));
  const { url } = await sandbox.listen(config.sandbox.port, config.sandbox.host);
  return { url, close: () => sandbox.close() };
}
