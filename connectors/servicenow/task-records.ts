import { createHash } from 'node:crypto';
import { ConnectorError } from '../../src/errors';
import type { ServiceNowClient } from './client';
import { CONNECTOR } from './errors';
import { queryValue, type SnRecord } from './schemas';

/**
 * Task records Snowline creates (change tasks, problems, incidents) carry the step's idempotency
 * key in the task field meant for it, `correlation_id` ("Correlation ID" of an external system),
 * so an attempt whose POST may have gone through finds the record instead of creating a second.
 */

/** `correlation_id` holds 100 characters. */
const CORRELATION_MAX = 100;

export function correlationId(idempotencyKey: string): string {
  const id = `snowline:${idempotencyKey}`;
  return id.length <= CORRELATION_MAX ? id : `snowline:${createHash('sha256').update(idempotencyKey).digest('hex')}`;
}

const FIELDS = ['sys_id', 'number'];

/** The record of `table` an earlier attempt created for this key, if any. */
export async function findByCorrelation(
  client: Pick<ServiceNowClient, 'query'>,
  table: string,
  idempotencyKey: string,
  signal?: AbortSignal,
): Promise<SnRecord | undefined> {
  const page = await client.query(table, {
    query: `correlation_id=${queryValue(correlationId(idempotencyKey))}`,
    fields: FIELDS,
    limit: 1,
    signal,
  });
  return page.rows[0];
}

/** POSTs a task record tagged with the key; `ambiguous` failures are recovered by `findByCorrelation`. */
export async function insertTaskRecord(
  client: Pick<ServiceNowClient, 'insert'>,
  table: string,
  fields: Record<string, string>,
  idempotencyKey: string,
  signal?: AbortSignal,
): Promise<{ sys_id: string; number: string }> {
  const record = await client.insert(
    table,
    { ...fields, correlation_id: correlationId(idempotencyKey), correlation_display: 'Snowline' },
    { fields: FIELDS, signal },
  );
  return identity(record, table);
}

/** sys_id and number of a record answer, or a permanent error when the instance left them out. */
export function identity(record: SnRecord, table: string): { sys_id: string; number: string } {
  if (typeof record.sys_id !== 'string' || typeof record.number !== 'string') {
    throw new ConnectorError(CONNECTOR, 'permanent', 'invalid_value', `the ${table} answer has no sys_id or number`, {
      details: { table },
    });
  }
  return { sys_id: record.sys_id, number: record.number };
}

/** Only fields with a value: an empty optional parameter must not clear a default. */
export function definedFields(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
}
