import type { Kysely, Migration } from 'kysely';

/**
 * When each API identity (JWT `sub`) last used each permission, for the access review
 * (`snowline report access`). One row per identity and permission, refreshed at most once a minute.
 */
export const identityUse = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('identity_use')
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('permission', 'text', (c) => c.notNull())
      .addColumn('roles', 'text', (c) => c.notNull())
      .addColumn('first_used_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_use_pk', ['subject', 'permission'])
      .execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('identity_use').execute();
  },
});
