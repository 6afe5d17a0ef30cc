import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConsoleOptions } from '../api/console.router';
import { usesSandbox, type Config } from '../config';
import { issueToken } from '../security/jwt';
import type { Logger } from '../observability/logger';
import { createOidcClient } from '../security/oidc-client';

/** A one-click sandbox sign-in lasts a working day; a real identity signs in with its own token. */
const SANDBOX_TOKEN_TTL_SECONDS = 8 * 3600;

/** The project root: the nearest folder above this file with a package.json (src/ from tsx, dist/src/ compiled). */
function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * Where the built console is; in sandbox mode (no instance configured) the one-click sign-in per
 * role; with `security.oidc`, sign-in with the identity provider.
 */
export function consoleOptions(config: Config, logger: Logger): ConsoleOptions {
  const s = config.security;
  const jwtOptions = { secret: s.jwtSecret, issuer: s.jwtIssuer, audience: s.jwtAudience };
  const oidc = s.oidc;
  return {
    oidc: oidc && {
      providerName: oidc.providerName,
      client: createOidcClient(oidc, { groupsClaim: s.groupsClaim, groupRoles: s.groupRoles }),
      jwtSecret: s.jwtSecret,
      // Never longer than the API accepts.
      issueToken: (subject, roles) =>
        issueToken(jwtOptions, subject, roles, Math.min(oidc.sessionSeconds, s.jwtMaxLifetimeSeconds)),
      secureCookies: oidc.redirectUrl.startsWith('https:'),
      logger,
    },
    assetsDir: join(projectRoot(__dirname), 'dist', 'console'),
    sandboxToken: usesSandbox(config)
      ? (role) => issueToken(jwtOptions, `sandbox-${role}`, [role], SANDBOX_TOKEN_TTL_SECONDS)
      : undefined,
  };
}
