import type { Kysely, Migration } from 'kysely';

/**
 * An outbox entry may upload a file (a job's output) instead of PATCHing fields: `attachment` holds
 * the file (JSON: file_name, content_type, content); null for field write-backs.
 */
export const outboxAttachments = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.alterTable('outbox').addColumn('attachment', 'text').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('outbox').dropColumn('attachment').execute();
  },
});
