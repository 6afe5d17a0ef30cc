import { Command, Option } from 'commander';
import { issueToken } from '../security/jwt';
import { ROLES, type Role } from '../security/roles';
import { configOrExit } from './load-config';

/** `snowline token --sub NAME --role ROLE`: prints a signed API token alone on stdout. */
export function tokenCommand(): Command {
  return new Command('token')
    .description('issue an API token (HS256, signed with SNOWLINE_JWT_SECRET)')
    .requiredOption('--sub <name>', 'who the token is for')
    .addOption(new Option('--role <role...>', 'role(s) to grant').choices(ROLES).makeOptionMandatory())
    .option('--ttl <seconds>', 'lifetime in seconds (default: security.tokenTtlSeconds)')
    .action((options: { sub: string; role: Role[]; ttl?: string }) => {
      const config = configOrExit();
      const ttl = options.ttl ? Number(options.ttl) : config.security.tokenTtlSeconds;
      const max = config.security.jwtMaxLifetimeSeconds;
      if (!Number.isInteger(ttl) || ttl <= 0 || ttl > max) {
        process.stderr.write(
          `snowline token: --ttl must be a positive number of seconds, at most security.jwtMaxLifetimeSeconds (${max})\n`,
        );
        process.exit(2);
      }
      const security = config.security;
      process.stdout.write(
        `${issueToken({ secret: security.jwtSecret, issuer: security.jwtIssuer, audience: security.jwtAudience }, options.sub, options.role, ttl)}\n`,
      );
    });
}
