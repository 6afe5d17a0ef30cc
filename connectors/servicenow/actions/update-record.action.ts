import { z } from 'zod';
import type { ActionHandler, ActionSpec } from '../../connector';
import { ConnectorError } from '../../../src/errors';
import type { ServiceNowClient } from '../client';
import { CONNECTOR, parseParams } from '../errors';
import {
  asInt,
  fieldNameSchema,
  sysIdSchema,
  tableNameSchema,
  toWire,
  updateRecordResultSchema,
  type UpdateRecordResult,
} from '../schemas';

/** Fields that append a journal entry; they go through `add_work_note`, which can recover. */
const JOURNAL_FIELDS = new Set(['work_notes', 'comments', 'comments_and_work_notes']);

export const updateRecordParamsSchema = z
  .object({
    table: tableNameSchema,
    sys_id: sysIdSchema,
    fields: z
      .record(fieldNameSchema, z.union([z.string().max(65536), z.number(), z.boolean(), z.null()]))
      .refine((f) => Object.keys(f).length > 0, 'at least one field to update')
      .refine(
        (f) => !Object.keys(f).some((k) => JOURNAL_FIELDS.has(k)),
        'journal fields (work_notes, comments) are written with add_work_note',
      )
      .describe('column → new value; null clears the field'),
  })
  .strict();
export type UpdateRecordParams = z.infer<typeof updateRecordParamsSchema>;

/** `servicenow.update_record`: PATCH plain fields of one record. Idempotent, so safe to repeat. */
export const updateRecordAction: ActionSpec<UpdateRecordParams, UpdateRecordResult> = {
  name: 'update_record',
  risk: 'medium',
  description: 'Update fields of a ServiceNow record (PATCH); returns the new sys_mod_count',
  params: updateRecordParamsSchema,
  result: updateRecordResultSchema,
};

export function createUpdateRecordHandler(deps: {
  client: Pick<ServiceNowClient, 'update'>;
}): ActionHandler<UpdateRecordParams, UpdateRecordResult> {
  return {
    async start(input, ctx) {
      const params = parseParams(updateRecordParamsSchema, input, updateRecordAction.name);
      const fields = Object.fromEntries(Object.entries(params.fields).map(([k, v]) => [k, toWire(v)]));
      const record = await deps.client.update(params.table, params.sys_id, fields, {
        fields: ['sys_id', 'sys_mod_count'],
        signal: ctx.signal,
      });
      const modCount = asInt(record.sys_mod_count);
      if (modCount === undefined) {
        throw new ConnectorError(CONNECTOR, 'permanent', 'invalid_value', 'the PATCH answer has no sys_mod_count', {
          details: { table: params.table, sysId: params.sys_id },
        });
      }
      return { status: 'done', result: { sys_mod_count: modCount } };
    },
  };
}
