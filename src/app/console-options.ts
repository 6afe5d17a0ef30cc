import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConsoleOptions } from '../api/console.router';
import { usesSandbox, type Config } from '../config';
import { issueToken } from '../security/jwt';

/** A one-click sandbox sign-in lasts a working day; a real identity signs in with its own token. */
const SANDBOX_TOKEN_TTL_SECONDS = 8 * 3600;

/** The project root: the nearest folder above this file with a package.json (src/ from tsx, dist/src/ compiled). */
function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Where the built console is, and in sandbox mode (no instance configured) the one-click sign-in per role. */
export function consoleOptions(config: Config): ConsoleOptions {
  const s = config.security;
  return {
    assetsDir: join(projectRoot(__dirname), 'dist', 'console'),
    sandboxToken: usesSandbox(config)
      ? (role) =>
          issueToken(
            { secret: s.jwtSecret, issuer: s.jwtIssuer, audience: s.jwtAudience },
            `sandbox-${role}`,
            [role],
            SANDBOX_TOKEN_TTL_SECONDS,
          )
      : undefined,
  };
}
