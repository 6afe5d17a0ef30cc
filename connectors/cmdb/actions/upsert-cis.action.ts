import { z } from 'zod';
import type { ActionHandler, ActionSpec } from '../../connector';
import type { ServiceNowClient } from '../../servicenow/client';
import { invalidParams } from '../errors';
import { relationProblems, upsertCis } from '../reconcile';
import { ciItemSchema, ciRelationSchema, upsertResultSchema, type CmdbConfig, type UpsertResult } from '../schemas';

export const upsertCisParamsSchema = z
  .object({
    items: z.array(ciItemSchema).min(1).max(10_000),
    relations: z.array(ciRelationSchema).max(10_000).default([]),
    dry_run: z.boolean().default(false).describe('report what would change; commit nothing'),
  })
  .strict();
export type UpsertCisParams = z.infer<typeof upsertCisParamsSchema>;

/** `cmdb.upsert_cis`: CIs and relations into the CMDB through the IRE, in batches, or a dry run. */
export const upsertCisAction: ActionSpec<UpsertCisParams, UpsertResult> = {
  name: 'upsert_cis',
  risk: 'medium',
  description:
    'Create or update CIs and relations through the Identification and Reconciliation API (dry run available)',
  params: upsertCisParamsSchema,
  result: upsertResultSchema,
};

export function parseUpsertParams(input: unknown): UpsertCisParams {
  const parsed = upsertCisParamsSchema.safeParse(input);
  if (!parsed.success)
    throw invalidParams(
      upsertCisAction.name,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`),
    );
  const problems = relationProblems(parsed.data.items, parsed.data.relations);
  if (problems.length > 0) throw invalidParams(upsertCisAction.name, problems);
  return parsed.data;
}

export function createUpsertCisHandler(
  client: Pick<ServiceNowClient, 'identifyReconcile'>,
  config: CmdbConfig,
): ActionHandler<UpsertCisParams, UpsertResult> {
  return {
    async start(input, ctx) {
      const params = parseUpsertParams(input);
      const result = await upsertCis(client, params.items, params.relations, {
        dataSource: config.dataSource,
        batchSize: config.batchSize,
        dryRun: params.dry_run,
        signal: ctx.signal,
      });
      ctx.logger.info('cmdb: upsert done', {
        dryRun: result.dry_run,
        items: result.items,
        relations: result.relations,
      });
      return { status: 'done', result };
    },
  };
}
