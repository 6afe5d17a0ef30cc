/** Each part's settings, read from the configuration here so that the parts never import it. */
import { createHmac } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { RateLimitSettings } from '../api/rate-limits';
import type { Config } from '../config';
import type { AnchorSettings } from '../security/audit-anchor';
import type { WebhookOptions } from '../ingest/webhook.receiver';
import type { VerifierOptions } from '../security/jwt';

/** The token verifier's settings, from `security.*`. */
export function verifierOptions(config: Config): VerifierOptions {
  const s = config.security;
  return {
    secret: s.jwtSecret,
    issuer: s.jwtIssuer,
    audience: s.jwtAudience,
    clockSkewSeconds: s.jwtClockSkewSeconds,
    publicKey: s.jwtPublicKey,
    jwksUrl: s.jwksUrl,
    jwksCacheMs: s.jwksCacheMs,
    groupsClaim: s.groupsClaim,
    groupRoles: s.groupRoles,
    maxLifetimeSeconds: s.jwtMaxLifetimeSeconds,
  };
}

/** The webhook receiver's settings, from `security.*` and `server.bodyLimitBytes`. */
export function webhookOptions(config: Config): WebhookOptions {
  const s = config.security;
  return {
    secret: s.webhookSecret,
    replayWindowSeconds: s.replayWindowSeconds,
    bodyLimitBytes: config.server.bodyLimitBytes,
    allowedIps: s.webhookAllowedIps,
    replayCacheSize: s.webhookReplayCacheSize,
  };
}

/** The limits configured in `server.*`, shared through `redis.url` when set. */
export function rateLimitSettings(config: Config): RateLimitSettings {
  const s = config.server;
  return {
    perIdentityPerMinute: s.rateLimitPerMinute,
    refusedPerAddressPerMinute: s.refusedPerAddressPerMinute,
    webhookPerAddressPerMinute: s.webhookPerAddressPerMinute,
    redisUrl: config.redis.url,
  };
}

/**
 * `security.auditAnchorFile`, else beside the SQLite file (a copy of the database made in the same
 * directory still meets its anchors), else `data/audit-anchors.jsonl`. The key is
 * `security.auditAnchorKey`, else derived from the JWT secret (also kept outside the store).
 */
export function anchorSettings(config: Config): AnchorSettings {
  const s = config.security;
  const file =
    s.auditAnchorFile ??
    (config.store.postgresUrl
      ? 'data/audit-anchors.jsonl'
      : join(dirname(config.store.sqlitePath), 'audit-anchors.jsonl'));
  const key = s.auditAnchorKey ?? createHmac('sha256', s.jwtSecret).update('snowline audit anchor').digest('hex');
  return { file, key };
}
