import type { Config } from '../config';
import { ConfigError } from '../errors';

/**
 * The secrets that guard Snowline's own doors (the API's HS256 key, the webhook's HMAC key) and the
 * key that seals stored secrets. The sandbox ships public defaults for them so `npm start` runs on
 * nothing; as soon as Snowline talks to any real system those defaults would let anyone in, so
 * start-up refuses them. A real system is any configured endpoint that is not the built-in sandbox.
 */

/** Shortest accepted HMAC/HS256 key, in bytes (RFC 7518 section 3.2: at least the hash's size). */
export const MIN_SECRET_BYTES = 32;

/** Published values (tutorials, jwt.io, our own docs): long enough, but known to every attacker. */
const KNOWN_WEAK = new Set([
  'your-256-bit-secret-your-256-bit-secret',
  'a-string-secret-at-least-256-bits-long',
  'replace-with-a-random-32-byte-secret',
  '0123456789abcdef0123456789abcdef',
  '00000000000000000000000000000000',
]);

/** Fewer distinct characters than this is a pattern, not a key. */
const MIN_DISTINCT_CHARACTERS = 8;

/**
 * The real endpoints configured, by config path; empty = everything is the sandbox. An endpoint on
 * a loopback address (a sandbox run on its own, `snowline sandbox`) is not a real system.
 */
export function realEndpoints(config: Config): string[] {
  const remote = (url: string | undefined) => url !== undefined && !isLoopback(url);
  return [
    remote(config.servicenow.url) && 'servicenow.url (SERVICENOW_URL)',
    remote(config.awx.url) && 'awx.url (AWX_URL)',
    ...Object.entries(config.connectors.http?.endpoints ?? {})
      .filter(([, endpoint]) => remote(endpoint.baseUrl))
      .map(([name]) => `connectors.http.endpoints.${name}`),
    config.connectors.ansible_local && 'connectors.ansible_local',
    ...Object.entries(config.privilege.providers)
      .filter(([, provider]) => remote(provider.url))
      .map(([name]) => `privilege.providers.${name}`),
  ].filter((e): e is string => typeof e === 'string');
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Why `value` is not a usable secret, or undefined when it is. */
export function secretWeakness(value: string | undefined): string | undefined {
  if (!value) return 'not set';
  if (value.includes('sandbox-only')) return 'the sandbox default';
  if (Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES) return `shorter than ${MIN_SECRET_BYTES} bytes`;
  if (KNOWN_WEAK.has(value.toLowerCase())) return 'a published example value';
  // `changemechangeme…`, `abababab…`: a short word repeated.
  if (new Set(value).size < MIN_DISTINCT_CHARACTERS || /^(.{1,12})\1+$/s.test(value)) return 'a repeated pattern';
  return undefined;
}

/**
 * Refuses to start with a sandbox default, short or known-weak secret, or without a key for stored
 * secrets, whenever a real endpoint is configured. Throws ConfigError naming each variable.
 */
export function assertProductionSecrets(config: Config): void {
  const endpoints = realEndpoints(config);
  if (endpoints.length === 0) return;
  const because = `required because ${endpoints[0]} is a real endpoint`;
  const problems: string[] = [];
  const checks: [string, string, string | undefined][] = [
    ['security.jwtSecret', 'SNOWLINE_JWT_SECRET', config.security.jwtSecret],
    ['security.webhookSecret', 'SNOWLINE_WEBHOOK_SECRET', config.security.webhookSecret],
  ];
  for (const [path, env, value] of checks) {
    const weakness = secretWeakness(value);
    if (weakness)
      problems.push(
        `${path}: expected a random secret of at least ${MIN_SECRET_BYTES} bytes (env ${env}), got ${weakness}; ${because}`,
      );
  }
  if (!config.secrets.key)
    problems.push(
      `secrets.key: expected a key for stored secrets (env SNOWLINE_SECRET_KEY: 32 bytes as 64 hex or Base64 characters), got nothing; ${because}`,
    );
  if (problems.length > 0) throw new ConfigError(problems);
}
