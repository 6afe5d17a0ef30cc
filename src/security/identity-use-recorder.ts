import type { Logger } from '../observability/logger';
import type { IdentityUse } from '../store/identity-use.repository';
import type { Identity } from './jwt';
import type { Permission } from './roles';

export interface IdentityUseRecorderDeps {
  write(use: IdentityUse): Promise<void>;
  logger: Logger;
  now?: () => number;
  /** At most one write per identity and permission in this time; default one minute. */
  intervalMs?: number;
}

/** Stamps kept in memory before old ones are forgotten (each identity × permission is one stamp). */
const MAX_STAMPS = 10_000;

/**
 * Notes that an identity used a permission, for the access review. A busy script makes many
 * requests a minute; the review needs the day, not the request, so each identity and permission is
 * written at most once per interval. The write never delays or fails the request it comes from.
 */
export function createIdentityUseRecorder(deps: IdentityUseRecorderDeps) {
  const now = deps.now ?? Date.now;
  const intervalMs = deps.intervalMs ?? 60_000;
  const lastWritten = new Map<string, number>();

  function forgetOld(at: number): void {
    for (const [key, stamp] of lastWritten) if (at - stamp >= intervalMs) lastWritten.delete(key);
  }

  return function recordUse(identity: Identity, permission: Permission): void {
    const at = now();
    const key = `${identity.subject}\u0000${permission}`;
    const previous = lastWritten.get(key);
    if (previous !== undefined && at - previous < intervalMs) return;
    if (lastWritten.size >= MAX_STAMPS) forgetOld(at);
    lastWritten.set(key, at);
    deps.write({ subject: identity.subject, permission, roles: identity.roles, at }).catch((err: Error) => {
      // Let the next request try again rather than lose the use until the interval passes.
      if (lastWritten.get(key) === at) lastWritten.delete(key);
      deps.logger.warn('could not record identity use', { permission, error: err.message });
    });
  };
}
export type RecordIdentityUse = ReturnType<typeof createIdentityUseRecorder>;
