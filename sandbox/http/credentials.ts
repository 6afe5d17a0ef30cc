import { createHash, timingSafeEqual } from 'node:crypto';

/** The one account of the sandbox: both the instance and the controller accept it. */
export interface SandboxAccount {
  user: string;
  password: string;
}

/** The user and password of an `Authorization: Basic …` header, or undefined. */
function parseBasicAuth(header: string | undefined): SandboxAccount | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Constant-time string equality (hashing first makes the lengths equal). */
export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The user name when the header carries the sandbox account's basic credentials. */
export function basicAuthUser(header: string | undefined, account: SandboxAccount): string | undefined {
  const given = parseBasicAuth(header);
  if (!given) return undefined;
  return sameSecret(given.user, account.user) && sameSecret(given.password, account.password) ? given.user : undefined;
}
