import { ConnectorError } from '../../src/errors';
import type { ServiceNowClient } from '../servicenow/client';
import { CONNECTOR } from './errors';
import {
  ireResultSchema,
  type CiItem,
  type CiRelation,
  type IreResult,
  type OperationCounts,
  type UpsertResult,
} from './schemas';

export interface UpsertOptions {
  dataSource: string;
  batchSize: number;
  dryRun: boolean;
  signal?: AbortSignal;
}

type IreClient = Pick<ServiceNowClient, 'identifyReconcile'>;

/** Problems with relations that name items not in the payload, one line each. */
export function relationProblems(items: readonly CiItem[], relations: readonly CiRelation[]): string[] {
  const ids = new Set(items.map((i) => i.internal_id).filter((id): id is string => id !== undefined));
  const problems: string[] = [];
  relations.forEach((r, i) => {
    for (const end of ['parent_id', 'child_id'] as const)
      if (!ids.has(r[end])) problems.push(`relations[${i}].${end}: no item has internal_id ${JSON.stringify(r[end])}`);
  });
  return problems;
}

export function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

const emptyCounts = (): OperationCounts => ({ inserted: 0, updated: 0, unchanged: 0, errors: 0 });

function count(counts: OperationCounts, operation: string, errorCount: number): void {
  if (errorCount > 0) counts.errors++;
  else if (operation.startsWith('INSERT')) counts.inserted++;
  else if (operation.startsWith('UPDATE')) counts.updated++;
  else counts.unchanged++;
}

async function callIre(client: IreClient, payload: unknown, options: UpsertOptions): Promise<IreResult> {
  const raw = await client.identifyReconcile(payload, {
    dataSource: options.dataSource,
    dryRun: options.dryRun,
    signal: options.signal,
  });
  const parsed = ireResultSchema.safeParse(raw);
  if (!parsed.success)
    throw new ConnectorError(
      CONNECTOR,
      'transient',
      'unexpected_answer',
      'the identifyreconcile answer has an unexpected shape',
      { details: { problem: parsed.error.message.slice(0, 300) } },
    );
  return parsed.data;
}

/**
 * Upserts CIs and then their relations through the IRE, `batchSize` items per call; never raw
 * table inserts. Relations go in later calls with the items they join (the IRE identifies those
 * again, as NO_CHANGE), so a relation never depends on which batch its ends were in. With
 * `dryRun` the `/query` variant reports what would be created, updated or left unchanged.
 */
export async function upsertCis(
  client: IreClient,
  items: readonly CiItem[],
  relations: readonly CiRelation[],
  options: UpsertOptions,
  /** Where relation ends are looked up; default `items`. */
  relationEnds: readonly CiItem[] = items,
): Promise<UpsertResult> {
  const itemCounts = emptyCounts();
  const relationCounts = emptyCounts();
  const results: UpsertResult['results'] = [];
  for (const batch of chunk(items, options.batchSize)) {
    const answer = await callIre(client, { items: batch }, options);
    for (const r of answer.items) {
      count(itemCounts, r.operation, r.errorCount);
      const input = batch[r.inputIndices[0] ?? -1];
      results.push({
        internal_id: input?.internal_id ?? null,
        className: r.className || input?.className || '',
        operation: r.operation,
        sys_id: r.sysId ?? null,
        errors: (r.errors ?? []).map((e) => `${e.error}: ${e.message}`),
      });
    }
  }
  const byId = new Map(relationEnds.filter((i) => i.internal_id).map((i) => [i.internal_id!, i]));
  for (const batch of chunk(relations, options.batchSize)) {
    const ends = [...new Set(batch.flatMap((r) => [r.parent_id, r.child_id]))].map((id) => byId.get(id)!);
    const answer = await callIre(client, { items: ends, relations: batch }, options);
    for (const r of answer.relations) count(relationCounts, r.operation, r.errorCount);
  }
  return { dry_run: options.dryRun, items: itemCounts, relations: relationCounts, results };
}
