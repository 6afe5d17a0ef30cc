import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect';

/** The first schema. Auto-increment sequences are the one thing the two engines spell differently. */
export const initial = (dialect: StoreDialect): Migration => ({
  async up(db: Kysely<any>) {
    const seq = dialect === 'postgres' ? 'bigserial' : 'integer';
    await db.schema
      .createTable('inbox_events')
      .addColumn('seq', seq as 'integer', (c) => (seq === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('event_key', 'text', (c) => c.notNull().unique())
      .addColumn('table_name', 'text', (c) => c.notNull())
      .addColumn('sys_id', 'text', (c) => c.notNull())
      .addColumn('number', 'text', (c) => c.notNull())
      .addColumn('mod_count', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('correlation_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('processed_at', 'bigint')
      .execute();
    await db.schema.createIndex('inbox_events_pending').on('inbox_events').columns(['status', 'seq']).execute();

    await db.schema
      .createTable('runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('rule_version', 'text', (c) => c.notNull())
      .addColumn('table_name', 'text', (c) => c.notNull())
      .addColumn('sys_id', 'text', (c) => c.notNull())
      .addColumn('ticket_number', 'text', (c) => c.notNull())
      .addColumn('event_key', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('context', 'text', (c) => c.notNull())
      .addColumn('correlation_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .addUniqueConstraint('runs_one_per_rule_and_event', ['rule_id', 'event_key'])
      .execute();
    await db.schema.createIndex('runs_by_ticket').on('runs').columns(['ticket_number', 'created_at']).execute();

    await db.schema
      .createTable('steps')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('connector', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('idempotency_key', 'text', (c) => c.notNull())
      .addColumn('external_ref', 'text')
      .addColumn('result', 'text')
      .addColumn('error', 'text')
      .addColumn('next_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'bigint')
      .addColumn('started_at', 'bigint')
      .addColumn('finished_at', 'bigint')
      .execute();
    await db.schema.createIndex('steps_due').on('steps').columns(['state', 'next_at']).execute();
    await db.schema.createIndex('steps_by_run').on('steps').columns(['run_id', 'idx']).execute();

    await db.schema
      .createTable('outbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('table_name', 'text', (c) => c.notNull())
      .addColumn('sys_id', 'text', (c) => c.notNull())
      .addColumn('ticket_number', 'text', (c) => c.notNull())
      .addColumn('fields', 'text', (c) => c.notNull())
      .addColumn('marker', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('result_mod_count', 'integer')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('sent_at', 'bigint')
      .execute();
    await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_at']).execute();
    await db.schema.createIndex('outbox_by_record').on('outbox').columns(['sys_id']).execute();

    await db.schema
      .createTable('watermarks')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('audit_log')
      // bigint, not an auto-increment: the journal numbers its own entries (see audit.repository).
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('rule_versions')
      .addColumn('version', 'text', (c) => c.primaryKey())
      .addColumn('loaded_at', 'bigint', (c) => c.notNull())
      .addColumn('loaded_by', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<any>) {
    for (const table of ['rule_versions', 'audit_log', 'watermarks', 'outbox', 'steps', 'runs', 'inbox_events']) {
      await db.schema.dropTable(table).execute();
    }
  },
});
