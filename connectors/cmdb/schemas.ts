import { z } from 'zod';
import { serviceNowConfigSchema } from '../servicenow/schemas';

/**
 * Shapes of the CMDB connector: CIs and relations as the Identification and Reconciliation API
 * takes them (servicenow-reference §4.2), its configuration and its results.
 */

const fieldValue = z.union([z.string().max(4000), z.number(), z.boolean(), z.null()]);

export const ciItemSchema = z
  .object({
    className: z.string().regex(/^cmdb_ci(_[a-z0-9_]+)?$/, 'must be a CMDB class (cmdb_ci…)'),
    values: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be a field name'), fieldValue),
    internal_id: z.string().min(1).max(128).optional().describe('names the item for relations'),
  })
  .strict();
export type CiItem = z.infer<typeof ciItemSchema>;

export const ciRelationSchema = z
  .object({
    parent_id: z.string().min(1).describe('internal_id of the parent item'),
    child_id: z.string().min(1),
    type: z.string().regex(/^[^:]+::[^:]+$/, 'must be a relation type name like "Runs on::Runs"'),
  })
  .strict();
export type CiRelation = z.infer<typeof ciRelationSchema>;

export const cmdbConfigSchema = z
  .object({
    servicenow: serviceNowConfigSchema.optional().describe('the instance; default: the servicenow connector’s'),
    dataSource: z.string().default('ServiceNow').describe('sysparm_data_source: a discovery_source choice value'),
    batchSize: z.number().int().min(1).max(1000).default(100).describe('items per IRE call'),
  })
  .strict();
export type CmdbConfig = z.infer<typeof cmdbConfigSchema>;

export const operationCountsSchema = z.object({ inserted: z.number().int(), updated: z.number().int(), unchanged: z.number().int(), errors: z.number().int() });
export type OperationCounts = z.infer<typeof operationCountsSchema>;

export const upsertResultSchema = z.object({
  dry_run: z.boolean(),
  items: operationCountsSchema,
  relations: operationCountsSchema,
  results: z.array(z.object({ internal_id: z.string().nullable(), className: z.string(), operation: z.string(), sys_id: z.string().nullable(), errors: z.array(z.string()) })),
});
export type UpsertResult = z.infer<typeof upsertResultSchema>;

/** The IRE answer's `result` (only what Snowline reads). */
export const ireResultSchema = z
  .object({
    items: z.array(
      z
        .object({
          className: z.string().default(''),
          operation: z.string(),
          sysId: z.string().optional(),
          inputIndices: z.array(z.number()).default([]),
          errorCount: z.number().default(0),
          errors: z.array(z.object({ error: z.string(), message: z.string().default('') }).passthrough()).optional(),
        })
        .passthrough(),
    ),
    relations: z
      .array(z.object({ operation: z.string(), errorCount: z.number().default(0), errors: z.array(z.object({ error: z.string(), message: z.string().default('') }).passthrough()).optional() }).passthrough())
      .default([]),
  })
  .passthrough();
export type IreResult = z.infer<typeof ireResultSchema>;
