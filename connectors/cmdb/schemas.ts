import cron from 'node-cron';
import { z } from 'zod';
import { serviceNowConfigSchema } from '../servicenow/schemas';
import { connectorLimitsSchema } from '../endpoint-limits';

/**
 * Shapes of the CMDB connector: CIs and relations as the Identification and Reconciliation API
 * takes them (https://www.servicenow.com/docs/r/api-reference/rest-apis/c_IdentifyReconcileAPI.html), its configuration and its results.
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

/** A source of CIs for a sync job, as read: its name, the items and the relations between them. */
export interface SyncSource {
  name: string;
  items: CiItem[];
  relations?: CiRelation[];
}

const ciClassName = z.string().regex(/^cmdb_ci(_[a-z0-9_]+)?$/, 'must be a CMDB class (cmdb_ci…)');

/**
 * Ansible facts from controller job artifacts: the successful jobs of `job_template` that ended
 * in the last `lookbackHours` hours, each with `set_stats: {data: {<artifactKey>: {<host>: facts}}}`.
 * The newest facts of a host win.
 */
export const ansibleFactsSourceSchema = z
  .object({
    type: z.literal('ansible_facts'),
    job_template: z.string().min(1).describe('job template whose jobs gather the facts'),
    organization: z.string().min(1).optional(),
    artifactKey: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default('host_facts')
      .describe('set_stats key holding {host: facts}'),
    lookbackHours: z
      .number()
      .positive()
      .max(24 * 30)
      .default(24)
      .describe('jobs finished in this many hours are read'),
    className: ciClassName.default('cmdb_ci_linux_server'),
  })
  .strict();

/**
 * A cloud or REST inventory through one of the http connector's endpoints: `GET path`, the list at
 * `itemsPath`, and each CI field read from an item by a response path (`fields.name` is required).
 */
export const httpInventorySourceSchema = z
  .object({
    type: z.literal('http'),
    endpoint: z.string().min(1).describe('an endpoint name under connectors.http.endpoints'),
    path: z.string().startsWith('/'),
    query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    itemsPath: z.string().min(1).describe('response path of the list, e.g. value or Reservations[0].Instances'),
    className: ciClassName,
    fields: z
      .record(z.string().regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be a field name'), z.string().min(1))
      .refine((f) => 'name' in f, 'must map the CI field "name"')
      .describe('CI field → response path within one item'),
  })
  .strict();

export type AnsibleFactsSource = z.infer<typeof ansibleFactsSourceSchema>;
export type HttpInventorySource = z.infer<typeof httpInventorySourceSchema>;

export const syncSourceSchema = z.discriminatedUnion('type', [ansibleFactsSourceSchema, httpInventorySourceSchema]);
export type SyncSourceConfig = z.infer<typeof syncSourceSchema>;

/**
 * A scheduled sync: read `source`, send the CIs that changed through the IRE, mark this data
 * source's CIs not seen for `staleAfterDays` days stale, report. Runs on the leader only.
 */
export const syncJobSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a short lowercase name')
      .describe('names the sync in logs, metrics and reports'),
    cron: z
      .string()
      .refine((c) => cron.validate(c), 'must be a cron expression (five fields, or six with seconds first)')
      .describe('when it runs, e.g. "0 */6 * * *"'),
    source: syncSourceSchema,
    dataSource: z.string().optional().describe('sysparm_data_source for this sync; default the connector’s dataSource'),
    staleAfterDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe('mark CIs of this data source not seen for this many days stale; unset = never'),
    staleClasses: z
      .array(z.string().regex(/^cmdb_ci(_[a-z0-9_]+)?$/))
      .optional()
      .describe('classes searched for stale CIs; default the classes the source gave'),
    staleValues: z
      .record(z.string().regex(/^[a-z][a-z0-9_]{0,79}$/), z.string())
      .optional()
      .describe('values that mark a CI stale; default {install_status: "100"} (Absent)'),
    refreshAfterHours: z
      .number()
      .positive()
      .max(24 * 30)
      .default(24)
      .describe('an unchanged CI is re-stamped (last_discovered) once its stamp is this old'),
    dryRun: z.boolean().default(false).describe('report what would change, change nothing'),
    reportToChange: z
      .string()
      .regex(/^CHG\d{7,}$/)
      .optional()
      .describe('change_request number that gets each report as a work note'),
  })
  .strict()
  .superRefine((job, ctx) => {
    if (job.staleAfterDays !== undefined && job.refreshAfterHours >= job.staleAfterDays * 24) {
      ctx.addIssue({
        code: 'custom',
        path: ['refreshAfterHours'],
        message: 'must be shorter than staleAfterDays, or CIs seen every run would turn stale',
      });
    }
  });
export type SyncJobConfig = z.infer<typeof syncJobSchema>;

export const cmdbConfigSchema = z
  .object({
    servicenow: serviceNowConfigSchema.optional().describe('the instance; default: the servicenow connector’s'),
    dataSource: z.string().default('ServiceNow').describe('sysparm_data_source: a discovery_source choice value'),
    batchSize: z.number().int().min(1).max(1000).default(100).describe('items per IRE call'),
    syncs: z
      .array(syncJobSchema)
      .default([])
      .superRefine((jobs, ctx) => {
        const names = jobs.map((j) => j.name);
        names.forEach((n, i) => {
          if (names.indexOf(n) !== i)
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `sync ${JSON.stringify(n)} is declared twice` });
        });
      })
      .describe('scheduled CMDB syncs (leader only)'),
    // Per instance: IRE calls of the cmdb actions in flight, and per hour.
    ...connectorLimitsSchema,
  })
  .strict();
export type CmdbConfig = z.infer<typeof cmdbConfigSchema>;

export const operationCountsSchema = z.object({
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  errors: z.number().int(),
});
export type OperationCounts = z.infer<typeof operationCountsSchema>;

export const upsertResultSchema = z.object({
  dry_run: z.boolean(),
  items: operationCountsSchema,
  relations: operationCountsSchema,
  results: z.array(
    z.object({
      internal_id: z.string().nullable(),
      className: z.string(),
      operation: z.string(),
      sys_id: z.string().nullable(),
      errors: z.array(z.string()),
    }),
  ),
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
      .array(
        z
          .object({
            operation: z.string(),
            errorCount: z.number().default(0),
            errors: z.array(z.object({ error: z.string(), message: z.string().default('') }).passthrough()).optional(),
          })
          .passthrough(),
      )
      .default([]),
  })
  .passthrough();
export type IreResult = z.infer<typeof ireResultSchema>;
