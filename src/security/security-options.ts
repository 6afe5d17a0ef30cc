import type { Config } from '../config';
import type { WebhookOptions } from '../ingest/webhook.router';
import type { VerifierOptions } from './jwt';

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
