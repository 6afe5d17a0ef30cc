import { rolesAtUse } from '../store/identity-use.repository';
import type { IdentityUseRow } from '../store/schema';
import { grantedPermissions } from './roles';

/**
 * The access review (pure: recorded uses in, review out): every API identity Snowline has seen,
 * the roles its token carried at its last call, when it last used each right its roles grant, and
 * which of those rights it has not used for the review period, candidates for removal.
 */
export interface AccessReview {
  generatedAt: string;
  unusedDays: number;
  identities: IdentityReview[];
}

export interface IdentityReview {
  subject: string;
  roles: string[];
  firstSeen: string;
  lastUsed: string;
  /** Each permission the roles grant, with its last use (empty when never used). */
  rights: { permission: string; lastUsed: string }[];
  /** Granted but not used within `unusedDays`. */
  unusedRights: string[];
}

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(Number(ms)).toISOString();

export function buildAccessReview(
  rows: readonly IdentityUseRow[],
  options: { now: number; unusedDays: number },
): AccessReview {
  const bySubject = new Map<string, IdentityUseRow[]>();
  for (const row of rows) bySubject.set(row.subject, [...(bySubject.get(row.subject) ?? []), row]);
  const cutoff = options.now - options.unusedDays * DAY_MS;
  const identities = [...bySubject.entries()].map(([subject, uses]): IdentityReview => {
    const latest = uses.reduce((a, b) => (b.last_used_at > a.last_used_at ? b : a));
    const roles = rolesAtUse(latest);
    const lastUseOf = new Map(uses.map((u) => [u.permission, u.last_used_at]));
    const rights = grantedPermissions(roles).map((permission) => ({
      permission,
      lastUsed: lastUseOf.has(permission) ? iso(lastUseOf.get(permission)!) : '',
    }));
    return {
      subject,
      roles,
      firstSeen: iso(Math.min(...uses.map((u) => u.first_used_at))),
      lastUsed: iso(latest.last_used_at),
      rights,
      unusedRights: grantedPermissions(roles).filter((permission) => (lastUseOf.get(permission) ?? -Infinity) < cutoff),
    };
  });
  return {
    generatedAt: iso(options.now),
    unusedDays: options.unusedDays,
    identities: identities.sort((a, b) => a.subject.localeCompare(b.subject)),
  };
}
