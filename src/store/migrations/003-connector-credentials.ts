import type { Kysely, Migration } from 'kysely';

/** Connector credentials added through the API, sealed with AES-256-GCM (src/security/secret-box.ts). */
export const connectorCredentials = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('connector_credentials')
      .addColumn('connector', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('connector_credentials_pk', ['connector', 'name'])
      .execute();
    await db.schema.createIndex('connector_credentials_by_key').on('connector_credentials').column('key_id').execute();
  },
});
