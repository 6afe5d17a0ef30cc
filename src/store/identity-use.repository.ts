import type { Kysely } from 'kysely';
import { nameListSchema, parseJsonColumn } from './json-column';
import type { IdentityUseRow, Tables } from './schema';

/** One use of a permission by an identity, with the roles its token carried. */
export interface IdentityUse {
  subject: string;
  permission: string;
  roles: readonly string[];
  at: number;
}

/** The roles an identity's token carried at its last use of a permission (`identity_use.roles`). */
export function rolesAtUse(use: Pick<IdentityUseRow, 'subject' | 'permission' | 'roles'>): string[] {
  const where = { table: 'identity_use', column: 'roles', id: `${use.subject}/${use.permission}` };
  return parseJsonColumn(nameListSchema, where, use.roles);
}

/** When each API identity last used each permission (the access review's source). */
export function identityUseRepository(db: Kysely<Tables>) {
  return {
    /** Keeps the first use, moves the last use forward (never back: instances may report out of order). */
    async record(use: IdentityUse): Promise<void> {
      const roles = JSON.stringify([...use.roles].sort());
      await db
        .insertInto('identity_use')
        .values({
          subject: use.subject,
          permission: use.permission,
          roles,
          first_used_at: use.at,
          last_used_at: use.at,
        })
        .onConflict((oc) =>
          oc
            .columns(['subject', 'permission'])
            .doUpdateSet({ roles, last_used_at: use.at })
            .where('identity_use.last_used_at', '<', use.at),
        )
        .execute();
    },

    async list() {
      return db.selectFrom('identity_use').selectAll().orderBy('subject').orderBy('permission').execute();
    },
  };
}
export type IdentityUseRepository = ReturnType<typeof identityUseRepository>;
