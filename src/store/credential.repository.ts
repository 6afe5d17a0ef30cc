import type { Kysely } from 'kysely';
import { NotFoundError } from '../errors';
import type { AuditRepository } from './audit.repository';
import type { Tables } from './schema';

const contextOf = (connector: string, name: string) => `${connector}:${name}`;

/** Connector credentials, sealed at rest; plaintext exists only in the caller's memory. */
/**
 * What the repository needs of security/secret-box.ts: it seals values at rest with the current key
 * and reseals old ones; declared here so the store does not depend on the security layer.
 */
export interface CredentialSealer {
  readonly currentKeyId: string;
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

export function credentialRepository(db: Kysely<Tables>, box: CredentialSealer, audit: AuditRepository) {
  return {
    /** Stores (or replaces) a credential; the audit entry names it but never holds its value. */
    async put(connector: string, name: string, value: string, actor: string, now = Date.now()): Promise<void> {
      const sealed = box.seal(value, contextOf(connector, name));
      await db.transaction().execute(async (trx) => {
        const row = { sealed, key_id: box.currentKeyId, updated_by: actor, updated_at: now };
        await trx
          .insertInto('connector_credentials')
          .values({ connector, name, ...row })
          .onConflict((oc) => oc.columns(['connector', 'name']).doUpdateSet(row))
          .execute();
        await audit.append(
          trx,
          {
            kind: 'credential.stored',
            actor,
            subject: contextOf(connector, name),
            detail: { keyId: box.currentKeyId },
          },
          now,
        );
      });
    },

    async reveal(connector: string, name: string): Promise<string> {
      const row = await db
        .selectFrom('connector_credentials')
        .select('sealed')
        .where('connector', '=', connector)
        .where('name', '=', name)
        .executeTakeFirst();
      if (!row) throw new NotFoundError('credential', contextOf(connector, name));
      return box.open(row.sealed, contextOf(connector, name));
    },

    /** Names and metadata only. */
    async list() {
      return db
        .selectFrom('connector_credentials')
        .select(['connector', 'name', 'key_id', 'updated_by', 'updated_at'])
        .orderBy('connector')
        .orderBy('name')
        .execute();
    },

    /** Re-seals every credential not under the current key; each row in its own transaction, so a crash loses nothing. */
    async rotate(actor: string, now = Date.now()): Promise<{ resealed: number; total: number }> {
      const rows = await db
        .selectFrom('connector_credentials')
        .selectAll()
        .where('key_id', '!=', box.currentKeyId)
        .execute();
      for (const row of rows) {
        const context = contextOf(row.connector, row.name);
        const sealed = box.seal(box.open(row.sealed, context), context);
        await db.transaction().execute(async (trx) => {
          await trx
            .updateTable('connector_credentials')
            .set({ sealed, key_id: box.currentKeyId })
            .where('connector', '=', row.connector)
            .where('name', '=', row.name)
            .where('sealed', '=', row.sealed)
            .execute();
          await audit.append(
            trx,
            {
              kind: 'credential.resealed',
              actor,
              subject: context,
              detail: { fromKeyId: row.key_id, toKeyId: box.currentKeyId },
            },
            now,
          );
        });
      }
      const total = await db
        .selectFrom('connector_credentials')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return { resealed: rows.length, total: Number(total.n) };
    },
  };
}
export type CredentialRepository = ReturnType<typeof credentialRepository>;
